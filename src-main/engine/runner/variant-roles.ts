/** Which model roles a method decodes with, and which one `method@dtype` sets. */
import type { Method, ModelRole } from '../api/types';

export function rolesOfMethod(m: Method): ModelRole[] {
  return m === 'small' ? ['small'] : m === 'large' ? ['large'] : ['small', 'large'];
}

/** The role whose output the method reproduces or approximates: small's for small, large's otherwise. */
export function ownRole(m: Method): ModelRole {
  return m === 'small' ? 'small' : 'large';
}
