// The shipped etc/telemetrics.conf, generated from the key table: every key
// commented out with its doc and compiled-in default, as the C client and
// systemd ship theirs. A test checks the committed file equals this. Pure.
import { CONFIG_KEYS, formatConfigValue } from './keys.ts';
import { escapeValue, SETTINGS_SECTION } from './parse.ts';

export function renderDefaultConfigFile(): string {
  const out = [
    '# telemetrics configuration (telemd, telemctl and the probes).',
    '#',
    '# Lookup order: the file given with -f/--config-file, else',
    '# /etc/telemetrics/telemetrics.conf, else',
    '# /usr/share/defaults/telemetrics/telemetrics.conf, else the built-in',
    '# defaults below. Only one file is read: keys missing from it take the',
    '# built-in defaults. In values, \\s stands for a space and \\\\ for a backslash.',
    '',
    `[${SETTINGS_SECTION}]`,
  ];
  for (const key of CONFIG_KEYS) {
    out.push('', `# ${key.doc}`, `#${key.key}=${escapeValue(formatConfigValue(key.default))}`);
  }
  return `${out.join('\n')}\n`;
}

/** The key table of docs/configuration.md (`key | type | default | meaning`), one row per key. */
export function renderConfigKeysMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = CONFIG_KEYS.map((k) => {
    const def = formatConfigValue(k.default);
    const type = k.values === undefined ? k.type : k.values.join(' \\| ');
    return `| \`${k.key}\` | ${type} | ${def === '' ? '(empty)' : `\`${cell(def)}\``} | ${cell(k.doc)} |`;
  });
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
