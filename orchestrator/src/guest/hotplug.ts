/**
 * PCIe hot-plug during a smoke boot (selftest hot_unplug_qmp). The board
 * profile lists devices in `qemu.hotplug`, each behind a `pcie-root-port`
 * of `qemu.devices` on the root bus with an `addr=`. The guest asks on its
 * console, naming the port by its address ("# atemsys-hotplug: unplug
 * 0000:00:08.0", later "plug ..."); the host answers over QMP: `device_del`
 * of the device behind it (QEMU signals the guest, whose ACPI or native
 * PCIe hot-plug driver removes it and powers the slot off), `device_add`
 * of the same device string to plug it back. Facts: QEMU docs/pcie.txt
 * ("Hot-plug"), docs/interop/qmp-spec.rst.
 *
 * Pure; guest/qmp.ts talks to QEMU.
 */
export interface HotplugSlot {
  /** the guest's address of the root port the device sits on: 0000:00:08.0 */
  port: string;
  /** the device's `id=` (device_del) */
  id: string;
  /** the `-device` string (device_add) */
  device: string;
}

/** `driver,key=value,...` split; a bare key counts as "on" */
export function deviceProps(spec: string): { driver: string; props: Map<string, string> } {
  const [driver = '', ...rest] = spec.split(',');
  const props = new Map<string, string>();
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    props.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? 'on' : kv.slice(eq + 1));
  }
  return { driver, props };
}

/**
 * A root-bus `addr=` (QEMU: slot[.function], hex) as the guest names the
 * device: "8" -> "0000:00:08.0". Undefined if it is not one.
 */
export function rootBusAddress(addr: string): string | undefined {
  const m = /^(?:0x)?([0-9a-f]{1,2})(?:\.([0-7]))?$/i.exec(addr);
  if (!m) return undefined;
  const slot = parseInt(m[1] ?? '', 16);
  if (slot > 0x1f) return undefined;
  return `0000:00:${slot.toString(16).padStart(2, '0')}.${m[2] ?? '0'}`;
}

/**
 * The ports of `hotplug` devices: each needs `id=` and `bus=` naming the id
 * of a `pcie-root-port` in `devices` that sits on the root bus with an
 * `addr=` (how the guest names it), one device per port. Problems are
 * sentences that say how to fix the profile, by index.
 */
export function hotplugSlots(devices: readonly string[], hotplug: readonly string[]): { slots: HotplugSlot[]; problems: { index: number; problem: string }[] } {
  const ports = new Map<string, string | undefined>();
  const ids = new Set<string>();
  for (const d of devices) {
    const did = deviceProps(d).props.get('id');
    if (did !== undefined) ids.add(did);
    const { driver, props } = deviceProps(d);
    const id = props.get('id');
    const bus = props.get('bus');
    const addr = props.get('addr');
    if (driver === 'pcie-root-port' && id !== undefined) ports.set(id, (bus === undefined || bus === 'pcie.0') && addr !== undefined ? rootBusAddress(addr) : undefined);
  }
  const slots: HotplugSlot[] = [];
  const problems: { index: number; problem: string }[] = [];
  const used = new Set<string>();
  hotplug.forEach((device, index) => {
    const { driver, props } = deviceProps(device);
    const id = props.get('id');
    const bus = props.get('bus');
    const port = bus === undefined ? undefined : ports.get(bus);
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(driver))
      problems.push({ index, problem: `expected a -device string that starts with a device type, like "edu,id=hpedu,bus=hp1", got ${JSON.stringify(device)}` });
    else if (id === undefined || id === '') problems.push({ index, problem: 'needs an id= (QMP device_del names the device by it)' });
    else if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) problems.push({ index, problem: `id=${id}: QEMU ids are a letter followed by letters, digits, "-", "." or "_"` });
    else if (ids.has(id)) problems.push({ index, problem: `id=${id} is already the id of another device: give each its own` });
    else if (bus === undefined) problems.push({ index, problem: 'needs a bus= naming a pcie-root-port of qemu.devices' });
    else if (!ports.has(bus))
      problems.push({
        index,
        problem: `bus=${bus} is not the id of a pcie-root-port in qemu.devices: add one, e.g. "pcie-root-port,id=${bus},chassis=<unused n>,slot=<unused n>,addr=<a free slot on bus 0>"`,
      });
    else if (port === undefined) problems.push({ index, problem: `the pcie-root-port ${bus} needs an addr= on the root bus (e.g. addr=8): the guest names the port by its address` });
    else if (used.has(port)) problems.push({ index, problem: `the pcie-root-port ${bus} already holds another qemu.hotplug device` });
    else {
      used.add(port);
      slots.push({ port, id, device });
    }
    if (id !== undefined && problems.at(-1)?.index !== index) ids.add(id);
  });
  return { slots, problems };
}

export interface HotplugRequest {
  action: 'unplug' | 'plug';
  /** the root port's address in the guest */
  port: string;
}

const REQUEST_RE = /atemsys-hotplug: (unplug|plug) (\S+)/;

/** The guest's request in one console line, if there is one */
export function parseHotplugRequest(line: string): HotplugRequest | undefined {
  const m = REQUEST_RE.exec(line);
  if (!m) return undefined;
  return { action: m[1] === 'plug' ? 'plug' : 'unplug', port: m[2] ?? '' };
}

export interface QmpCommand {
  execute: string;
  arguments: Record<string, string | boolean>;
}

/**
 * The QMP command that answers a request: device_del by id, or device_add
 * through the human monitor, which takes the profile's `-device` string as
 * it is (QMP's own device_add wants typed JSON values).
 */
export function qmpCommandFor(req: HotplugRequest, slots: readonly HotplugSlot[]): QmpCommand | { problem: string } {
  const s = slots.find((x) => x.port === req.port);
  if (!s) return { problem: `the guest asked to ${req.action} the device behind ${req.port}, a port no qemu.hotplug device sits on (ports: ${slots.map((x) => x.port).join(', ') || 'none'})` };
  return req.action === 'unplug' ? { execute: 'device_del', arguments: { id: s.id } } : { execute: 'human-monitor-command', arguments: { 'command-line': `device_add ${s.device}` } };
}

/**
 * A link the guest asks to turn off or on (selftest ll_link_lost): "#
 * atemsys-link: off ll0", later "on ll0", naming a netdev of the profile.
 * QMP set_link on a netdev sets its link and its peer NIC's (QEMU
 * net/net.c qmp_set_link): the NIC reports the loss as a cable pull would
 * (e1000e STATUS.LU, the FEC's and GEM's PHY BMSR).
 */
export interface LinkRequest {
  up: boolean;
  netdev: string;
}

const LINK_RE = /atemsys-link: (on|off) (\S+)/;

/** The guest's link request in one console line, if there is one */
export function parseLinkRequest(line: string): LinkRequest | undefined {
  const m = LINK_RE.exec(line);
  if (!m) return undefined;
  return { up: m[1] === 'on', netdev: m[2] ?? '' };
}

/** set_link for a request, or why it is refused (a netdev the profile does not have) */
export function linkCommandFor(req: LinkRequest, netdevs: readonly string[]): QmpCommand | { problem: string } {
  if (!netdevs.includes(req.netdev))
    return { problem: `the guest asked to turn the link of netdev ${req.netdev} ${req.up ? 'on' : 'off'}, which the profile does not have (netdevs: ${netdevs.join(', ') || 'none'})` };
  return { execute: 'set_link', arguments: { name: req.netdev, up: req.up } };
}

/** The `-qmp` option for a UNIX socket QEMU listens on without waiting */
export function qmpArgs(socket: string): string[] {
  return ['-qmp', `unix:${socket.replace(/,/g, ',,')},server=on,wait=off`];
}
