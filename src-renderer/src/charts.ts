// chart.js with only the pieces the app draws (tree-shaken), and one colour per method.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { Method } from '../../src-main/engine/api/types';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Legend, Tooltip);
Chart.defaults.font.size = 11;
Chart.defaults.animation = false;

export const METHOD_COLORS: Record<Method, string> = {
  large: '#3b5bdb',
  small: '#868e96',
  bild: '#e8590c',
  speculative: '#0c8599',
};

export { Chart };
