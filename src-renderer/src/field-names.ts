// The engine names its options as the CLI does (`bild_fallback`, `--allow_cpu_fallback`): in the
// app a message names the form's own field, and that field is marked until it is changed.
import { reactive } from 'vue';
import type { RunConfig } from './store';

interface FormField {
  /** The engine's names: error prefixes (`bild_fallback: …`) and CLI flags (`--limit`). */
  names: string[];
  field: keyof RunConfig;
  /** As the form labels it (RunForm.vue). */
  label: string;
}

const FIELDS: FormField[] = [
  { names: ['bild_fallback'], field: 'fallback', label: 'FB' },
  { names: ['bild_rollback'], field: 'rollback', label: 'RB' },
  { names: ['limit'], field: 'limit', label: 'N' },
  { names: ['max_length'], field: 'maxLength', label: 'max length' },
  { names: ['max_small'], field: 'maxSmall', label: 'max small' },
  { names: ['draft'], field: 'draft', label: 'draft' },
  { names: ['warmup'], field: 'warmup', label: 'warm-up' },
  { names: ['repeats'], field: 'repeats', label: 'repeats' },
  { names: ['allow_cpu_fallback'], field: 'allowCpuFallback', label: 'fall back to CPU if unavailable' },
  { names: ['dataset_name'], field: 'filePath', label: 'Path' },
  { names: ['dataset_split', 'split'], field: 'split', label: 'Split' },
  { names: ['small_dtype'], field: 'smallDtype', label: 'small model dtype' },
  { names: ['dtype'], field: 'dtype', label: 'default dtype' },
  { names: ['block_size'], field: 'blockSize', label: 'block size' },
  { names: ['accuracy_level'], field: 'accuracyLevel', label: 'accuracy level' },
  // the form's plain methods cannot be refused; `method@dtype` ones come from the extra variants
  { names: ['methods'], field: 'variants', label: 'extra variants' },
];

/** The form fields the last error named. */
export const invalidFields = reactive(new Set<keyof RunConfig>());

function quoted(label: string): string {
  return label.includes(' ') ? `“${label}”` : label;
}

/**
 * The message with the engine's option names as the form's labels; marks those fields. A name
 * counts only where it is an option (a `--flag`, or the `name:`/`name ` a message starts with), so
 * plain words ("give a limit too") stay as they are.
 */
export function inFormTerms(message: string): string {
  invalidFields.clear();
  let text = message;
  for (const { names, field, label } of FIELDS)
    for (const name of names) {
      const option = new RegExp(`--${name}\\b|^(\\w+: )?${name}(?=[: ])`, 'g');
      text = text.replace(option, (_m, method: string | undefined) => {
        invalidFields.add(field);
        return `${method ?? ''}${quoted(label)}`;
      });
    }
  return text;
}

/** Attributes that mark an input whose value the last error named. */
export function fieldState(field: keyof RunConfig): { class: { invalid: boolean }; 'aria-invalid': 'true' | undefined } {
  const bad = invalidFields.has(field);
  return { class: { invalid: bad }, 'aria-invalid': bad ? 'true' : undefined };
}
