/**
 * LAVA job definitions for a board's built kernels: the same boot and
 * selftests as `smoke`, run by a LAVA server on its workers. Pure.
 *
 * Facts from LAVA 2023.01 (Debian bookworm's lava-server and lava-common):
 * the job schema is lava_common/schemas (strict: only the listed context
 * keys); the `qemu` device type's template (etc/dispatcher-config/
 * device-types/qemu.jinja2) picks qemu-system-<arch> from `context.arch`,
 * passes `-cpu`/`-machine` from the context on arm only (x86_64 gets
 * `-cpu host -enable-kvm` unless `no_kvm`), always adds `-nographic`,
 * `-monitor none`, `-m <memory>` and `-net nic,model=virtio -net
 * <netdevice>`, and appends `extra_options` verbatim. `deploy: to: tmpfs`
 * images are fetched from their `url`, checked against `sha256sum`, and
 * `{<label>}` in their `image_arg` becomes the downloaded file. A test
 * `monitors` entry turns console lines into test cases: after `start`,
 * every match of `pattern` is one case (named groups `test_case_id` and
 * `result`, mapped by `fixupdict`), until `end`. A U-Boot board's device
 * type (imx8mp-evk, imx6q-sabrelite, xilinx-zcu102; base-uboot.jinja2)
 * takes `deploy: to: tftp` with kernel (type image: booti, zimage: bootz),
 * dtb and ramdisk (LAVA adds the U-Boot header), then `boot: method:
 * u-boot, commands: ramdisk`, whose bootargs get `context.extra_kernel_args`.
 */
import { BEGIN_MARKER, END_MARKER } from '../guest/initramfs.ts';
import type { Manifest } from '../core/manifest.ts';
import { parseQemuOpts } from '../guest/netdev.ts';
import { dtArtifacts } from '../devicetree/overlay.ts';
import type { Arch } from '../debian/arch.ts';
import type { Profile, QemuSpec } from '../profile/profile.ts';
import { kernelCommandLine, nicArgs } from '../guest/qemu.ts';

/** One job definition, as LAVA's schema has it (a YAML mapping). */
export type LavaJob = Record<string, unknown>;

/** LAVA's `context.arch` for the qemu device type, by our arch */
const LAVA_ARCH: Readonly<Record<Arch, string>> = { x86_64: 'x86_64', arm64: 'arm64', armhf: 'arm' };

/** Added to every hub id of the profile's netdevs: LAVA's own `-net nic` sits on hub 0. */
export const LAVA_HUB_OFFSET = 10;

/**
 * The template's own NIC (`-net nic,{{ model }},…`) on x86_64: an ISA NE2000,
 * which takes no PCI slot. A PCI one is placed before the -devices in the
 * first free slot, the board's edu's (q35: "slot 2 function 0 not available
 * for edu, in use by virtio-net-pci"), and q35 ignores its addr=. On arm's
 * virt it lands in slot 1, which the boards leave free.
 */
export const LAVA_X86_NIC_MODEL = 'model=ne2k_isa';

/**
 * One KTAP result line at the top level (not a nested subtest: those are
 * indented) to one test case: `ok N name`, `not ok N name`, and `ok N name
 * # SKIP why` as skip (the look-ahead lets one `result` group read SKIP).
 * Each match starts at the line's newline and stops before the next, so
 * consecutive lines all match; lines end in \r\r\n in LAVA's buffer (QEMU's
 * stdio on its terminal).
 */
export const KTAP_CASE_PATTERN = '\\n(?=(?:ok \\d+ [^#\\r\\n]*# )?(?P<result>SKIP|not ok|ok))(?:not ok|ok) \\d+ (?P<test_case_id>[^#\\r\\n]+?)[ \\t]*(?:#[^\\r\\n]*)?(?=\\r*\\n)';

export interface LavaOptions {
  /** where the user serves out/ (http, https or file URL); the job fetches <url>/<board>/<release>/<file> */
  artifactsUrl: string;
  /** LAVA's job priority; default medium */
  priority?: LavaPriority;
  /** who sees the job on the server: public (default) or personal (the submitter only) */
  visibility?: LavaVisibility;
}

export const LAVA_PRIORITIES = ['high', 'medium', 'low'] as const;
export type LavaPriority = (typeof LAVA_PRIORITIES)[number];
export const LAVA_VISIBILITIES = ['public', 'personal'] as const;
export type LavaVisibility = (typeof LAVA_VISIBILITIES)[number];

/** LAVA's timeout form: whole minutes, at least 1 */
function minutes(seconds: number): { minutes: number } {
  return { minutes: Math.max(1, Math.ceil(seconds / 60)) };
}

/** `-netdev hubport,…,hubid=N` with N moved past LAVA's hub 0. Throws Error for any other netdev. */
export function lavaNetdev(n: string, board: string): string {
  const { type, options } = parseQemuOpts(n);
  if (type !== 'hubport') {
    throw new Error(`${board}: netdev "${n}" needs the host beside QEMU (smoke's simulator on 127.0.0.1); a LAVA job has only hub ports`);
  }
  const hub = Number(options.get('hubid') ?? '0');
  return n.replace(/hubid=\d+/, `hubid=${hub + LAVA_HUB_OFFSET}`);
}

/**
 * What QEMU gets besides the boot files and what the qemu device type adds
 * itself: the machine and CPU on x86_64 (the template ignores them there),
 * -smp, the profile's hub-port netdevs (hub ids moved, LAVA_HUB_OFFSET),
 * the machine's NICs, the devices and the raw args. Not the hot-plug
 * devices, the pcap recording or a QMP socket: nothing answers the guest's
 * requests there, so the tests that need them skip.
 */
export function lavaExtraOptions(p: Profile, q: QemuSpec): string[] {
  const nicWords = nicArgs(q.nics ?? []).map((w) => w.replace(/hubid=(\d+)/, (_m, h: string) => `hubid=${Number(h) + LAVA_HUB_OFFSET}`));
  const pairs: string[] = [];
  for (let i = 0; i + 1 < nicWords.length; i += 2) pairs.push(`${nicWords[i] ?? ''} ${nicWords[i + 1] ?? ''}`);
  return [
    ...(p.arch === 'x86_64' ? [`-machine ${q.machine}`, ...(q.cpu !== undefined ? [`-cpu ${q.cpu}`] : [])] : []),
    ...(q.smp !== undefined ? [`-smp ${q.smp}`] : []),
    '-no-reboot',
    ...(q.netdevs ?? []).map((n) => `-netdev ${lavaNetdev(n, p.name)}`),
    ...pairs,
    ...q.devices.map((d) => `-device ${d}`),
    ...q.args,
  ];
}

/** The keys every job starts with; the job may take `slackS` seconds more than its tests (deploy, boot) */
function jobHeader(deviceType: string, m: Manifest, o: LavaOptions, testS: number, slackS: number): LavaJob {
  return {
    device_type: deviceType,
    job_name: `atemsys ${m.board} ${m.kernel.release}`,
    timeouts: { job: minutes(testS + slackS), action: minutes(testS), connection: { minutes: 2 } },
    priority: o.priority ?? 'medium',
    visibility: o.visibility ?? 'public',
    metadata: {
      board: m.board,
      kernel: m.kernel.release,
      'debian-version': m.kernel.debianVersion,
      ...(m.git.commit !== null ? { commit: m.git.commit } : {}),
    },
  };
}

function artifact(m: Manifest, file: string): { sha256: string } {
  const a = m.artifacts.find((x) => x.file === file);
  if (!a) throw new Error(`${m.board} ${m.kernel.release}: ${file} is not in its manifest: build it again (npx orchestrate build --board ${m.board})`);
  return a;
}

function joinUrl(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.map(encodeURIComponent)].join('/');
}

/**
 * The LAVA job that boots one built kernel of a QEMU board on the `qemu`
 * device type and turns its selftests' KTAP lines into test cases (suite
 * `atemsys`). Throws Error when the board has no qemu section, needs the
 * host beside QEMU (a dgram netdev) or boots a DTB, or when an artifact is
 * not in the manifest.
 */
export function lavaQemuJob(p: Profile, m: Manifest, o: LavaOptions): LavaJob {
  const q = p.qemu;
  if (!q) throw new Error(`${p.name} has no qemu section: it has no QEMU job`);
  if (m.dt) throw new Error(`${p.name} boots a device tree: LAVA runs it on the board (U-Boot), not on the qemu device type`);
  const url = (file: string): string => joinUrl(o.artifactsUrl, m.board, m.kernel.release, file);
  const timeout = testTimeout(p, m);
  return {
    ...jobHeader('qemu', m, o, timeout, 600),
    context: {
      arch: LAVA_ARCH[p.arch],
      ...(p.arch !== 'x86_64' ? { machine: q.machine, ...(q.cpu !== undefined ? { cpu: q.cpu } : {}) } : { no_kvm: true, model: LAVA_X86_NIC_MODEL }),
      memory: q.memory,
      // the template's own NIC: on a hub with nothing else (no user network)
      netdevice: 'none',
      extra_options: lavaExtraOptions(p, q),
    },
    actions: [
      {
        deploy: {
          to: 'tmpfs',
          timeout: { minutes: 5 },
          images: {
            kernel: {
              url: url('vmlinuz'),
              sha256sum: artifact(m, 'vmlinuz').sha256,
              image_arg: `-kernel {kernel} -append "${kernelCommandLine(q)}"`,
            },
            initrd: {
              url: url('initramfs.cpio.gz'),
              sha256sum: artifact(m, 'initramfs.cpio.gz').sha256,
              image_arg: '-initrd {initrd}',
            },
          },
        },
      },
      // the boot action's timeout is also how long the test monitor waits
      // for its next line (execute-qemu's pexpect): the fuzzer is silent
      // for minutes
      { boot: { method: 'qemu', media: 'tmpfs', timeout: minutes(timeout) } },
      {
        test: {
          timeout: minutes(timeout),
          monitors: [ktapMonitor()],
        },
      },
    ],
  };
}

function ktapMonitor(): Record<string, unknown> {
  return {
    name: 'atemsys',
    start: BEGIN_MARKER,
    end: END_MARKER,
    pattern: KTAP_CASE_PATTERN,
    fixupdict: { ok: 'pass', 'not ok': 'fail', SKIP: 'skip' },
  };
}

/**
 * The LAVA job that boots one built kernel of a device-tree board on the
 * real board (its profile's lava.device-type) through U-Boot: the kernel
 * image, the DTB with the atemsys overlay (without the QEMU-only fixups) and
 * the initramfs over TFTP, the selftests' KTAP lines as test cases. The ll
 * group skips there: the slave simulator beside QEMU is not in a lab.
 * Throws Error when the board has no lava.device-type or device tree, or an
 * artifact is not in the manifest.
 */
/**
 * The test's time limit in a lab, s: the kernel's own timeout in the
 * profile (a kernel entry's `timeout`), else qemu.timeout (300 without one),
 * twice over: a lab worker runs other jobs beside this one, and the smoke
 * limits were measured on a quiet 2-core machine (the 6.1 rt job took
 * 276 of its 300 s on a busy one). Pure.
 */
export function testTimeout(p: Profile, m: Manifest): number {
  const k = p.kernels.find((x) => x.flavour === m.kernel.flavour && x.series === m.kernel.series && (m.kernel.suite === undefined || x.suite === m.kernel.suite));
  return 2 * (k?.timeout ?? p.qemu?.timeout ?? 300);
}

export function lavaUbootJob(p: Profile, m: Manifest, o: LavaOptions): LavaJob {
  const deviceType = p.lava?.deviceType;
  if (deviceType === undefined) throw new Error(`${p.name}: no lava.device-type in its profile: which LAVA device type is the board?`);
  if (!p.dt || !m.dt) throw new Error(`${p.name}: a U-Boot job boots a device tree, and the board or its build has none`);
  const url = (file: string): string => joinUrl(o.artifactsUrl, m.board, m.kernel.release, file);
  const dtb = dtArtifacts(p.dt, false).dtb;
  const timeout = testTimeout(p, m);
  return {
    ...jobHeader(deviceType, m, o, timeout, 900),
    ...(p.qemu?.append ? { context: { extra_kernel_args: p.qemu.append } } : {}),
    actions: [
      {
        deploy: {
          to: 'tftp',
          timeout: { minutes: 5 },
          kernel: { url: url('vmlinuz'), sha256sum: artifact(m, 'vmlinuz').sha256, type: p.arch === 'armhf' ? 'zimage' : 'image' },
          dtb: { url: url(dtb), sha256sum: artifact(m, dtb).sha256 },
          ramdisk: { url: url('initramfs.cpio.gz'), sha256sum: artifact(m, 'initramfs.cpio.gz').sha256, compression: 'gz' },
        },
      },
      { boot: { method: 'u-boot', commands: 'ramdisk', timeout: { minutes: 5 } } },
      { test: { timeout: minutes(timeout), monitors: [ktapMonitor()] } },
    ],
  };
}

/** The board's job: U-Boot on the real board when its profile names a LAVA device type, else the qemu device type. */
export function lavaJob(p: Profile, m: Manifest, o: LavaOptions): LavaJob {
  return p.lava?.deviceType !== undefined ? lavaUbootJob(p, m, o) : lavaQemuJob(p, m, o);
}
