// The GPUs of the machine for a crash report, read from sysfs and the NVIDIA
// driver's /proc files only: a crash handler must not spawn nvidia-smi or
// lspci (slow, maybe absent, and the process may be dying). Every read is
// under `root` so tests describe a machine with a directory tree.
import { basename, join } from 'node:path';
import type { GpuInfo } from './payload.ts';
// node:fs through getBuiltinModule, not an ES import: see config/load.ts.
const { readdirSync, readFileSync, realpathSync } = process.getBuiltinModule('node:fs');

const PCI_VENDORS: Readonly<Record<string, string>> = {
  '0x10de': 'NVIDIA',
  '0x1002': 'AMD',
  '0x8086': 'Intel',
  '0x1af4': 'Red Hat (virtio)',
  '0x1234': 'QEMU',
  '0x15ad': 'VMware',
  '0x1414': 'Microsoft',
};

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return undefined;
  }
}

/** The `Model:` line of /proc/driver/nvidia/gpus/<pci address>/information. */
export function nvidiaModel(information: string | undefined): string | undefined {
  const match = /^Model:\s*(.+)$/m.exec(information ?? '');
  return match?.[1]?.trim() || undefined;
}

function describeCard(root: string, card: string): GpuInfo | undefined {
  const device = join(root, 'sys/class/drm', card, 'device');
  const vendorId = readText(join(device, 'vendor'));
  if (vendorId === undefined) return undefined;
  const deviceId = readText(join(device, 'device')) ?? '?';
  let pciAddress: string;
  try {
    pciAddress = basename(realpathSync(device));
  } catch {
    pciAddress = '';
  }
  const model =
    readText(join(device, 'product_name')) ||
    nvidiaModel(readText(join(root, 'proc/driver/nvidia/gpus', pciAddress, 'information'))) ||
    `PCI ${vendorId}:${deviceId}`;
  const vendor = PCI_VENDORS[vendorId.toLowerCase()] ?? `PCI ${vendorId}`;
  // amdgpu reports its memory; an Intel GPU without it shares system memory.
  const vram = readText(join(device, 'mem_info_vram_total'));
  if (vram !== undefined && /^[0-9]+$/.test(vram)) return { model, vendor, vram };
  if (vendorId.toLowerCase() === '0x8086') return { model, vendor, vramDynamic: true };
  return { model, vendor };
}

/** One entry per DRM card (card0, card1; not their connectors card0-HDMI-A-1). */
export function readGpus(root = '/'): GpuInfo[] {
  let cards: string[];
  try {
    cards = readdirSync(join(root, 'sys/class/drm')).filter((name) => /^card[0-9]+$/.test(name));
  } catch {
    return [];
  }
  cards.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  return cards.map((card) => describeCard(root, card)).filter((gpu) => gpu !== undefined);
}
