import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { readGpus } from './gpus.ts';

const root = mkdtempSync(join(tmpdir(), 'gpus-'));
after(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function card(n: number, pci: string, files: Record<string, string>): void {
  const device = `sys/devices/pci0000:00/${pci}`;
  for (const [name, text] of Object.entries(files)) put(`${device}/${name}`, text);
  mkdirSync(join(root, `sys/class/drm/card${n}`), { recursive: true });
  symlinkSync(join(root, device), join(root, `sys/class/drm/card${n}/device`));
}

test('GPUs from sysfs and the NVIDIA driver: model, vendor, memory', () => {
  card(0, '0000:00:02.0', { vendor: '0x8086\n', device: '0x9a49\n' });
  card(1, '0000:01:00.0', { vendor: '0x10de\n', device: '0x2684\n' });
  put('proc/driver/nvidia/gpus/0000:01:00.0/information', 'Model: \t\t NVIDIA GeForce RTX 4090\nIRQ: 1\n');
  card(10, '0000:03:00.0', {
    vendor: '0x1002\n',
    device: '0x73bf\n',
    product_name: 'Radeon RX 6800\n',
    mem_info_vram_total: '17163091968\n',
  });
  // A connector, not a card.
  mkdirSync(join(root, 'sys/class/drm/card0-HDMI-A-1'), { recursive: true });
  assert.deepEqual(readGpus(root), [
    { model: 'PCI 0x8086:0x9a49', vendor: 'Intel', vramDynamic: true },
    { model: 'NVIDIA GeForce RTX 4090', vendor: 'NVIDIA' },
    { model: 'Radeon RX 6800', vendor: 'AMD', vram: '17163091968' },
  ]);
});

test('no DRM directory: no GPUs', () => {
  assert.deepEqual(readGpus(join(root, 'nowhere')), []);
});
