#!/bin/bash
# Build triage-usb.img: a bootable (UEFI + BIOS) Debian bookworm live system running `triage`,
# with every evidence disk read-only by construction and an exFAT TRIAGE_DATA partition.
# Run as root on Debian 12. See README.md ("The bootable stick") and usb/.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USB="$REPO/usb"
OUT="$REPO/triage-usb.img"
DATA_MIB=1024
LEVEL=15
WORK=/var/tmp/triage-usb-build
KEY=""
DATA_DIRS=()
UPDATE_LOCK=0
LOCKED=0
KEEP_WORK=0
SUITE=bookworm
# The live system's packages. No udisks2, lvm2, mdadm or swap tools: nothing in the image may
# assemble, mount or write a disk on its own.
PACKAGES=linux-image-amd64,live-boot,live-boot-initramfs-tools,initramfs-tools,busybox,zstd,systemd-sysv,udev,kmod,python3,python3-venv,libmagic1,util-linux,e2fsprogs,exfatprogs,procps,less
# The signed boot chain (Secure Boot): shim signed by Microsoft's UEFI CA, Debian's signed GRUB,
# shim's MOK manager. Downloaded with the root file system and unpacked onto the boot partition.
# (shim's fallback fbx64.efi from shim-helpers-amd64-signed is deliberately not copied.)
BOOT_PACKAGES="shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed"
HOST_TOOLS=(mmdebstrap mksquashfs unsquashfs grub-mkimage mkfs.vfat mcopy mmd mkfs.exfat
            mount.exfat-fuse sgdisk losetup sha256sum sbverify)
HOST_PACKAGES="mmdebstrap squashfs-tools grub-pc-bin mtools dosfstools exfatprogs exfat-fuse gdisk zstd sbsigntool"
# Kernel command line. live-media names the stick so live-boot never probes other disks;
# nopersistence/noswap and systemd.swap=0/gpt_auto=0 keep anything from mounting or swapping
# onto a disk (USB-NOTES.md). efi_pstore.pstore_disable=1: a kernel crash must not write its log
# into the computer's UEFI variables.
CMDLINE="boot=live live-media=/dev/disk/by-label/TRIAGE_BOOT nopersistence noswap systemd.gpt_auto=0 systemd.swap=0 efi_pstore.pstore_disable=1 quiet loglevel=3"

usage() {
	cat <<EOF
Usage: sudo ./build_usb.sh [options]
  --out FILE          image to write (default: $OUT)
  --data-size MIB     size of the TRIAGE_DATA partition in MiB (default: $DATA_MIB)
  --compression N     zstd level of the live system, 1-22 (default: $LEVEL; 19 is smallest, slow)
  --data DIR          copy DIR's contents onto the data partition (repeatable; e.g. a folder
                      with hashsets/, rules/, keys/trusted/, config.yaml)
  --key FILE          install FILE as the stick's report signing key (keys/stick.key)
  --work DIR          build folder, kept between builds as a cache (default: $WORK)
  --update-lock       re-resolve Python wheels and Debian packages and rewrite usb/*.lock
  --locked            refuse to build unless every Debian package version equals usb/debian.lock
                      (a reproducibility check; by default the build takes the archive's current
                      versions, security updates included, and records them)
  --keep-work         keep the unpacked root file system after the build
EOF
}

die() { echo "build_usb.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

while [ $# -gt 0 ]; do
	case "$1" in
		--out) OUT=$(realpath -m "$2"); shift 2 ;;
		--data-size) DATA_MIB=$2; shift 2 ;;
		--compression) LEVEL=$2; shift 2 ;;
		--data) DATA_DIRS+=("$(realpath -m "$2")"); shift 2 ;;
		--key) KEY=$(realpath -m "$2"); shift 2 ;;
		--work) WORK=$(realpath -m "$2"); shift 2 ;;
		--update-lock) UPDATE_LOCK=1; shift ;;
		--locked) LOCKED=1; shift ;;
		--keep-work) KEEP_WORK=1; shift ;;
		-h|--help) usage; exit 0 ;;
		*) usage >&2; die "unknown option $1; see --help." ;;
	esac
done

[ "$(id -u)" = 0 ] || die "must run as root (it builds a root file system and uses loop devices); run: sudo $0"
[[ "$DATA_MIB" =~ ^[0-9]+$ ]] && [ "$DATA_MIB" -ge 64 ] || die "--data-size must be a whole number of MiB, at least 64."
[[ "$LEVEL" =~ ^[0-9]+$ ]] && [ "$LEVEL" -ge 1 ] && [ "$LEVEL" -le 22 ] || die "--compression must be 1 to 22."
[ -z "$KEY" ] || [ -f "$KEY" ] || die "--key $KEY does not exist; give a private key made by 'triage keys generate'."
for dir in "${DATA_DIRS[@]}"; do [ -d "$dir" ] || die "--data $dir is not a folder."; done
grep -q 'VERSION_CODENAME=bookworm' /etc/os-release || die "build on Debian 12 (bookworm); this machine is not."

# Host tools: install what is missing with apt, then refuse clearly if one is still absent.
missing=()
for tool in "${HOST_TOOLS[@]}"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
BIOS_SETUP=/usr/lib/grub/i386-pc/grub-bios-setup  # Debian keeps it out of PATH
if [ ! -x "$BIOS_SETUP" ] || [ ! -d /usr/lib/grub/i386-pc ]; then missing+=(grub); fi
if [ ${#missing[@]} -gt 0 ]; then
	say "installing host tools (missing: ${missing[*]})"
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $HOST_PACKAGES \
		|| die "apt-get could not install the host tools ($HOST_PACKAGES); install them and rerun."
	for tool in "${HOST_TOOLS[@]}"; do
		command -v "$tool" >/dev/null || die "$tool is missing; install it (apt-get install $HOST_PACKAGES) and rerun."
	done
	[ -x "$BIOS_SETUP" ] || die "$BIOS_SETUP is missing; apt-get install grub-pc-bin and rerun."
fi
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
	|| die "$PYTHON is not Python 3.11 (the image's); set PYTHON=/path/to/python3.11."

START=$(date +%s)
mkdir -p "$WORK"
ROOT="$WORK/rootfs"
LOOPS=()
MOUNTS=()
cleanup() {
	local i
	for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
	for loop in "${LOOPS[@]}"; do losetup -d "$loop" 2>/dev/null || true; done
	if [ "$KEEP_WORK" = 0 ]; then rm -rf "$ROOT" "$WORK/parts" "$WORK/grub"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The archive is the build machine's own (never a hard-coded host). Its snapshot date, when the
# sources use snapshot.debian.org (a URIs line, not a comment), is recorded in the lock and
# clamps file times; otherwise the archive is the current one, recorded with the time it was read.
SOURCES=/etc/apt/sources.list.d/debian.sources
[ -f "$SOURCES" ] || die "no $SOURCES on this machine; the build takes its Debian archive from there."
ARCHIVE=$(sed -n 's/^URIs: *//p' "$SOURCES" | head -n1)
SNAPSHOT=$(grep '^URIs:' "$SOURCES" | grep -o 'snapshot.debian.org/archive/debian/[0-9TZ]*' | head -n1 | sed 's#.*/##' || true)
SNAPSHOT=${SNAPSHOT:-none}
export SOURCE_DATE_EPOCH
if [ "$SNAPSHOT" != none ]; then
	SOURCE_DATE_EPOCH=$(date -u -d "$(echo "$SNAPSHOT" | sed -E 's/(....)(..)(..)T(..)(..)(..)Z/\1-\2-\3 \4:\5:\6/')" +%s)
else
	SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
fi

# 1. Python wheels, on the host (pip inside the chroot picks up the host's settings and fails).
WHEELS="$WORK/wheels"
rm -rf "$WHEELS"; mkdir -p "$WHEELS"
if [ "$UPDATE_LOCK" = 1 ] || [ ! -f "$USB/requirements.lock" ]; then
	say "resolving Python dependencies into usb/requirements.lock"
	rm -rf "$WORK/resolve"; mkdir -p "$WORK/resolve"
	"$PYTHON" -m pip download -q -d "$WORK/resolve" "$REPO" 2>&1 | { grep -v '^WARNING: Location' || true; }
	"$PYTHON" "$USB/lockfile.py" requirements "$WORK/resolve" > "$USB/requirements.lock"
	rm -rf "$WORK/resolve"
fi
say "downloading and building wheels (hash-checked against usb/requirements.lock)"
# (The filter drops warnings about the host's own pip settings; pip's exit status is kept.)
pip_quiet() { "$PYTHON" -m pip "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }; }
pip_quiet wheel -q --require-hashes -r "$USB/requirements.lock" -w "$WHEELS"
pip_quiet wheel -q --no-deps -w "$WHEELS" "$REPO"
# The optional C extensions (setup.py) must be in the stick's wheel: a host without a compiler
# builds it without them (only a warning), and the stick would be several times slower.
CONTENTS=$("$PYTHON" -m zipfile -l "$WHEELS"/triage-*.whl)
for source in $(cd "$REPO" && find triage -name '_*.c' | sort); do
	module="${source%.c}"
	grep -q "${module}\.cpython-[^ ]*\.so" <<<"$CONTENTS" \
		|| die "the wheel lacks the compiled ${module//\//.} (no C compiler?); install gcc and python3-dev, then rebuild."
done
# Every dependency of the project must come from the lock: a new one in pyproject.toml stops here.
pip_quiet install -q --dry-run --ignore-installed --no-index --find-links "$WHEELS" triage \
	|| die "pyproject.toml needs a package missing from usb/requirements.lock; rerun with --update-lock."
rm -rf "$REPO/build"

# 2. Root file system, cached as a tar keyed by the package list and the archive.
BOOT_HOOK="mkdir -p \"\$1/var/tmp/boot-debs\" && cd \"\$1/var/tmp/boot-debs\" && APT_CONFIG=\"\$MMDEBSTRAP_APT_CONFIG\" apt-get download -q $BOOT_PACKAGES"
KEY_SUM=$(printf '%s\n%s\n%s\n' "$PACKAGES" "$BOOT_HOOK" "$(cat "$SOURCES")" | sha256sum | cut -c1-16)
BASE="$WORK/rootfs-base-$KEY_SUM.tar"
# From the current archive the cache is kept one day, so a stick built later gets the updates.
if [ -f "$BASE" ] && [ "$SNAPSHOT" = none ] && [ -z "$(find "$BASE" -mmin -1440)" ]; then
	say "the cached root file system is more than a day old; rebuilding it with today's packages"
	rm -f "$BASE"
fi
if [ ! -f "$BASE" ]; then
	say "building the Debian $SUITE root file system with mmdebstrap (about 2-3 minutes)"
	rm -f "$WORK"/rootfs-base-*.tar
	# --format=tar: mmdebstrap guesses the format from the target's name, and "*.tar.part" is
	# not a tar name (it would write a directory). The hook fetches the signed boot chain's
	# packages from the same archive in the same run; they are unpacked on the host, not installed.
	mmdebstrap --mode=root --format=tar --variant=minbase --include="$PACKAGES" \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--customize-hook="$BOOT_HOOK" \
		"$SUITE" "$BASE.part" "$SOURCES"
	mv "$BASE.part" "$BASE"
else
	say "reusing the cached root file system $BASE"
fi
rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$BASE"

# 3. Debian packages. The build takes the archive as it is today (a stick must carry Debian's
# security updates) and records every version it used, boot chain included, in the image and
# next to it. usb/debian.lock is the reference list kept in git: differences are reported;
# --locked refuses them (a reproducibility check against an archive that still serves those
# versions); --update-lock rewrites it.
BOOT_DEBS="$WORK/boot-debs"; rm -rf "$BOOT_DEBS"
mv "$ROOT/var/tmp/boot-debs" "$BOOT_DEBS" || die "the cached root file system has no boot-chain packages; delete $BASE and rerun."
{
	chroot "$ROOT" dpkg-query -W -f '${Package}=${Version}\n'
	for deb in "$BOOT_DEBS"/*.deb; do dpkg-deb --showformat='${Package}=${Version}\n' -W "$deb"; done
} | LC_ALL=C sort -u > "$WORK/debian-packages.txt"
for pkg in $BOOT_PACKAGES; do
	grep -q "^$pkg=" "$WORK/debian-packages.txt" || die "the boot-chain package $pkg was not downloaded; check the archive in $SOURCES."
done
RESOLVED=$(date -u -r "$BASE" +%Y-%m-%dT%H:%M:%SZ)  # when mmdebstrap took these versions
{ echo "# Debian packages of the stick (live system and boot chain) from $ARCHIVE (snapshot: $SNAPSHOT), resolved $RESOLVED"
  cat "$WORK/debian-packages.txt"; } > "$WORK/debian.lock"
LOCK_STATE="matches usb/debian.lock"
if [ "$UPDATE_LOCK" = 1 ] || [ ! -f "$USB/debian.lock" ]; then
	cp "$WORK/debian.lock" "$USB/debian.lock"
	say "wrote usb/debian.lock ($(wc -l < "$WORK/debian-packages.txt") packages, snapshot $SNAPSHOT)"
else
	"$PYTHON" "$USB/lockfile.py" compare "$USB/debian.lock" "$WORK/debian.lock" > "$WORK/debian-lock.diff" \
		|| die "could not compare the Debian packages with usb/debian.lock (above)."
	changed=$(grep -c . "$WORK/debian-lock.diff" || true)
fi
if [ "${changed:-0}" -gt 0 ]; then
	if [ "$LOCKED" = 1 ]; then
		sed 's/^/    /' "$WORK/debian-lock.diff" >&2
		die "--locked: the Debian archive no longer serves the versions in usb/debian.lock ($changed packages differ, above); build without --locked to take today's versions, or from an archive snapshot that holds the locked ones."
	fi
	LOCK_STATE="differs from usb/debian.lock in $changed packages (recorded in $OUT.debian-packages)"
	say "the archive has moved on from usb/debian.lock: $changed packages differ (Debian's updates); building with today's versions and recording them"
	sed 's/^/    /' "$WORK/debian-lock.diff"
fi

# 4. Customise: triage in a venv, read-only rules, the officer's console.
say "installing triage and the stick's read-only rules into the root file system"
for fs in proc sys dev; do mount --bind "/$fs" "$ROOT/$fs"; MOUNTS+=("$ROOT/$fs"); done
mkdir -p "$ROOT/tmp/wheels"; cp "$WHEELS"/*.whl "$ROOT/tmp/wheels/"
IN_ROOT=(chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)
"${IN_ROOT[@]}" python3 -m venv /opt/triage
"${IN_ROOT[@]}" /opt/triage/bin/pip install -q --no-index --no-cache-dir --find-links /tmp/wheels triage
rm -rf "$ROOT/tmp/wheels"
ln -sf /opt/triage/bin/triage "$ROOT/usr/local/bin/triage"
install -D -m 644 "$USB/udev/00-triage-readonly.rules" "$ROOT/etc/udev/rules.d/00-triage-readonly.rules"
install -D -m 755 "$USB/initramfs/hooks/triage-readonly" "$ROOT/etc/initramfs-tools/hooks/triage-readonly"
install -D -m 755 "$USB/initramfs/scripts/init-premount/triage-readonly" \
	"$ROOT/etc/initramfs-tools/scripts/init-premount/triage-readonly"
install -D -m 755 "$USB/bin/mount-data" "$ROOT/usr/local/lib/triage-usb/mount-data"
install -D -m 644 "$USB/officer.py" "$USB/bootfacts.py" -t "$ROOT/usr/local/lib/triage-usb/"
install -m 644 "$USB/systemd/triage-data.service" "$USB/systemd/triage-officer.service" \
	"$USB/systemd/triage-efivars-ro.service" "$ROOT/etc/systemd/system/"
for unit in getty@ serial-getty@; do
	install -D -m 644 "$USB/systemd/getty-shell-only.conf" "$ROOT/etc/systemd/system/$unit.service.d/triage.conf"
done
echo 'export TRIAGE_DATA=/media/triage-data' > "$ROOT/etc/profile.d/triage.sh"
echo triage > "$ROOT/etc/hostname"
"${IN_ROOT[@]}" systemctl enable -q triage-data.service triage-officer.service triage-efivars-ro.service
# Nothing may swap, trim or scrub a disk on its own, nor move crash logs out of the firmware's
# variables (systemd-pstore deletes them there).
"${IN_ROOT[@]}" systemctl mask -q swap.target fstrim.timer e2scrub_all.timer e2scrub_reap.service systemd-pstore.service
"${IN_ROOT[@]}" update-initramfs -u -k all >/dev/null
"${IN_ROOT[@]}" sh -c 'lsinitramfs /boot/initrd.img-* | grep -q 00-triage-readonly.rules' \
	|| die "the read-only udev rule did not reach the initramfs; check usb/initramfs/hooks."
GIT_COMMIT=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$(git -C "$REPO" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
mkdir -p "$ROOT/etc/triage-usb"
cp "$USB/requirements.lock" "$WORK/debian.lock" "$ROOT/etc/triage-usb/"
printf 'commit %s%s\nsnapshot %s\n' "$GIT_COMMIT" "$GIT_DIRTY" "$SNAPSHOT" > "$ROOT/etc/triage-usb/build"
rm -rf "$ROOT/var/cache/apt"/*.bin "$ROOT/var/lib/apt/lists"/* "$ROOT/root/.cache" "$ROOT/var/log"/*.log
for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount "${MOUNTS[$i]}"; done
MOUNTS=()

# 5. The live system as squashfs, with file times clamped for reproducible file lists.
PARTS="$WORK/parts"; rm -rf "$PARTS"; mkdir -p "$PARTS"
say "compressing the live system (zstd level $LEVEL)"
cp -L "$ROOT/vmlinuz" "$PARTS/vmlinuz"
cp -L "$ROOT/initrd.img" "$PARTS/initrd.img"
mksquashfs "$ROOT" "$PARTS/filesystem.squashfs" -noappend -quiet -comp zstd -Xcompression-level "$LEVEL" \
	-e boot -mkfs-time "$SOURCE_DATE_EPOCH" -all-time "$SOURCE_DATE_EPOCH" -processors "$(nproc)"
unsquashfs -lls "$PARTS/filesystem.squashfs" | tail -n +4 | awk '{print $1, $2, $3, $NF}' | LC_ALL=C sort -k4 > "$WORK/file-list.txt"

# 6. Boot loaders. UEFI (with or without Secure Boot): Debian's signed chain, unmodified --
# shim (signed by Microsoft's UEFI CA 2011 and 2023) as the removable-media path BOOTX64.EFI,
# which loads grubx64.efi from its own folder: Debian's signed monolithic GRUB for removable
# media (gcdx64), whose built-in script uses the prefix /boot/grub of the partition it was
# loaded from (else it searches for /.disk/info) and reads /boot/grub/grub.cfg; GRUB has shim
# verify Debian's signed kernel. mmx64.efi is shim's key manager, started only when asked for.
# shim's fallback fbx64.efi is left out: shim runs it when present, and it writes boot entries
# into the computer's firmware. BIOS: core.img in the BIOS-boot partition, built here with an
# embedded config that finds the boot partition by its label and reads the same grub.cfg.
GRUBDIR="$WORK/grub"; rm -rf "$GRUBDIR"; mkdir -p "$GRUBDIR/signed"
for deb in "$BOOT_DEBS"/*.deb; do dpkg-deb -x "$deb" "$GRUBDIR/signed"; done
SHIM="$GRUBDIR/signed/usr/lib/shim/shimx64.efi.signed"
MOKMANAGER="$GRUBDIR/signed/usr/lib/shim/mmx64.efi.signed"
GRUB_SIGNED="$GRUBDIR/signed/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed"
signers() { sbverify --list "$1" 2>/dev/null | sed -n 's#^ *- subject: .*/CN=##p' | paste -sd';'; }
for pair in "$SHIM:Microsoft Corporation UEFI CA 2011" "$MOKMANAGER:Debian Secure Boot" \
		"$GRUB_SIGNED:Debian Secure Boot" "$PARTS/vmlinuz:Debian Secure Boot"; do
	file=${pair%%:*}; signer=${pair#*:}
	[ -f "$file" ] || die "$file is missing from the boot-chain packages; delete $BASE and rerun."
	signers "$file" | grep -q "$signer" \
		|| die "$(basename "$file") is not signed by $signer (sbverify --list $file); the stick would not boot with Secure Boot on."
done
cat > "$GRUBDIR/embedded.cfg" <<'EOF'
search --no-floppy --label TRIAGE_BOOT --set=root
set prefix=($root)/boot/grub
configfile $prefix/grub.cfg
EOF
cat > "$GRUBDIR/grub.cfg" <<EOF
# triage_flags is empty on a stick; the VM boot test sets it (serial console, automatic scan).
set triage_flags=""
set timeout=5
set default=0
menuentry "Triage: scan this computer (read-only)" {
	linux /live/vmlinuz $CMDLINE \$triage_flags
	initrd /live/initrd.img
}
menuentry "Triage: lab shell (no scan)" {
	linux /live/vmlinuz $CMDLINE triage.shell \$triage_flags
	initrd /live/initrd.img
}
EOF
MODULES="normal configfile linux search search_label fat part_gpt part_msdos echo test sleep true halt reboot ls cat"
grub-mkimage -O i386-pc -p /boot/grub -c "$GRUBDIR/embedded.cfg" -o "$GRUBDIR/core.img" \
	$MODULES biosdisk
cp /usr/lib/grub/i386-pc/boot.img "$GRUBDIR/boot.img"
printf 'Triage stick: Debian %s live system, commit %s%s\n' "$SUITE" "$GIT_COMMIT" "$GIT_DIRTY" > "$GRUBDIR/disk-info"

# 7. The boot partition (FAT32, TRIAGE_BOOT) filled with mtools: the host kernel needs no vfat.
size_mib() { echo $(( ($(stat -c %s "$1") + 1048575) / 1048576 )); }
BOOT_MIB=$(( $(size_mib "$PARTS/filesystem.squashfs") + $(size_mib "$PARTS/vmlinuz") + $(size_mib "$PARTS/initrd.img") + 64 ))
say "boot partition: $BOOT_MIB MiB"
truncate -s "${BOOT_MIB}M" "$PARTS/boot.part"
mkfs.vfat -F 32 -n TRIAGE_BOOT -i 54524745 "$PARTS/boot.part" >/dev/null
export MTOOLS_SKIP_CHECK=1
MT=(-i "$PARTS/boot.part")
mmd "${MT[@]}" ::/EFI ::/EFI/BOOT ::/boot ::/boot/grub ::/live ::/.disk
mcopy "${MT[@]}" "$SHIM" ::/EFI/BOOT/BOOTX64.EFI
mcopy "${MT[@]}" "$GRUB_SIGNED" ::/EFI/BOOT/grubx64.efi
mcopy "${MT[@]}" "$MOKMANAGER" ::/EFI/BOOT/mmx64.efi
mcopy "${MT[@]}" "$GRUBDIR/disk-info" ::/.disk/info
mcopy "${MT[@]}" "$GRUBDIR/grub.cfg" ::/boot/grub/grub.cfg
mcopy "${MT[@]}" "$PARTS/vmlinuz" "$PARTS/initrd.img" "$PARTS/filesystem.squashfs" ::/live/
mcopy "${MT[@]}" "$WORK/debian.lock" "$USB/requirements.lock" ::/live/

# 8. The data partition (exFAT, TRIAGE_DATA), filled through exfat-fuse on a loop device.
say "data partition: $DATA_MIB MiB exFAT"
truncate -s "${DATA_MIB}M" "$PARTS/data.part"
mkfs.exfat -L TRIAGE_DATA "$PARTS/data.part" >/dev/null
LOOP=$(losetup -f --show "$PARTS/data.part"); LOOPS+=("$LOOP")
# A loop device keeps a read-only flag someone set on it before (evidence tests do): clear it.
blockdev --setrw "$LOOP"
mkdir -p "$WORK/mnt"
mount.exfat-fuse "$LOOP" "$WORK/mnt"; MOUNTS+=("$WORK/mnt")
mkdir -p "$WORK/mnt"/{hashsets,rules,reports,keys/trusted}
cp -r "$REPO/rules/." "$WORK/mnt/rules/"
rm -f "$WORK/mnt/rules/README.md"
cp "$USB/config.yaml" "$WORK/mnt/config.yaml"
for dir in "${DATA_DIRS[@]}"; do cp -r "$dir/." "$WORK/mnt/"; done
[ -z "$KEY" ] || cp "$KEY" "$WORK/mnt/keys/stick.key"
DATA_LIST=$(cd "$WORK/mnt" && find . -type f | LC_ALL=C sort)
umount "$WORK/mnt"; MOUNTS=()
losetup -d "$LOOP"; LOOPS=()

# 9. GPT: BIOS-boot, boot/EFI system partition, data. Fixed GUIDs keep the layout reproducible.
BOOT_START=4096
BOOT_END=$(( BOOT_START + BOOT_MIB * 2048 - 1 ))
DATA_START=$(( BOOT_END + 1 ))
DATA_END=$(( DATA_START + DATA_MIB * 2048 - 1 ))
TOTAL_MIB=$(( (DATA_END + 1) / 2048 + 1 ))
rm -f "$OUT.part"; truncate -s "${TOTAL_MIB}M" "$OUT.part"
sgdisk -U 54524941-4745-5553-4200-000000000000 \
	-n 1:2048:4095 -t 1:EF02 -c 1:BIOSBOOT -u 1:54524941-4745-0001-0000-000000000001 \
	-n 2:$BOOT_START:$BOOT_END -t 2:EF00 -c 2:TRIAGE_BOOT -u 2:54524941-4745-0002-0000-000000000002 \
	-n 3:$DATA_START:$DATA_END -t 3:0700 -c 3:TRIAGE_DATA -u 3:54524941-4745-0003-0000-000000000003 \
	"$OUT.part" >/dev/null
[ "$(sgdisk -p "$OUT.part" | grep -c -E 'BIOSBOOT|TRIAGE_BOOT|TRIAGE_DATA')" = 3 ] \
	|| die "sgdisk did not write the three partitions; see its output above."
dd if="$PARTS/boot.part" of="$OUT.part" bs=1M seek=$((BOOT_START / 2048)) conv=notrunc,sparse status=none
dd if="$PARTS/data.part" of="$OUT.part" bs=1M seek=$((DATA_START / 2048)) conv=notrunc,sparse status=none
# grub-bios-setup writes boot.img into the protective MBR and core.img into the BIOS-boot
# partition. It insists on resolving the disk holding its -d folder through the device map, so
# that folder sits on a small ext4 scratch file system on its own loop device (USB-NOTES.md).
LOOP=$(losetup -f --show "$OUT.part"); LOOPS+=("$LOOP")
blockdev --setrw "$LOOP"
truncate -s 8M "$GRUBDIR/scratch.ext4"; mkfs.ext4 -q -F "$GRUBDIR/scratch.ext4"
SCRATCH=$(losetup -f --show "$GRUBDIR/scratch.ext4"); LOOPS+=("$SCRATCH")
blockdev --setrw "$SCRATCH"
mkdir -p "$GRUBDIR/scratch"; mount "$SCRATCH" "$GRUBDIR/scratch"; MOUNTS+=("$GRUBDIR/scratch")
cp "$GRUBDIR/boot.img" "$GRUBDIR/core.img" "$GRUBDIR/scratch/"
printf '(hd0) %s\n(hd1) %s\n' "$LOOP" "$SCRATCH" > "$GRUBDIR/scratch/device.map"
"$BIOS_SETUP" --skip-fs-probe -d "$GRUBDIR/scratch" -m "$GRUBDIR/scratch/device.map" "$LOOP"
umount "$GRUBDIR/scratch"; MOUNTS=()
losetup -d "$SCRATCH"; losetup -d "$LOOP"; LOOPS=()
mv "$OUT.part" "$OUT"

# 10. Build record: what went in, and the digests a stick can be checked against.
IMG_SHA=$(sha256sum "$OUT" | cut -d' ' -f1)
BOOT_SHA=$(sha256sum "$PARTS/boot.part" | cut -d' ' -f1)
SQUASH_SHA=$(sha256sum "$PARTS/filesystem.squashfs" | cut -d' ' -f1)
{
	echo "image $(basename "$OUT") $(stat -c %s "$OUT") bytes"
	echo "image-sha256 $IMG_SHA"
	echo "boot-partition offset=$((BOOT_START * 512)) size=$((BOOT_MIB * 1048576)) sha256=$BOOT_SHA"
	echo "squashfs-sha256 $SQUASH_SHA"
	for pair in "EFI/BOOT/BOOTX64.EFI:$SHIM" "EFI/BOOT/grubx64.efi:$GRUB_SIGNED" \
			"EFI/BOOT/mmx64.efi:$MOKMANAGER" "live/vmlinuz:$PARTS/vmlinuz"; do
		echo "boot-file ${pair%%:*} sha256=$(sha256sum "${pair#*:}" | cut -d' ' -f1) signed-by=$(signers "${pair#*:}")"
	done
	echo "commit $GIT_COMMIT$GIT_DIRTY"
	echo "debian-snapshot $SNAPSHOT"
	echo "requirements.lock-sha256 $(sha256sum "$USB/requirements.lock" | cut -d' ' -f1)"
	echo "debian-packages-sha256 $(sha256sum "$WORK/debian.lock" | cut -d' ' -f1) ($LOCK_STATE)"
	echo "file-list-sha256 $(sha256sum "$WORK/file-list.txt" | cut -d' ' -f1)"
	echo "data-partition-files:"; echo "$DATA_LIST" | sed 's/^/  /'
} > "$OUT.record"
cp "$WORK/file-list.txt" "$OUT.files"
cp "$WORK/debian.lock" "$OUT.debian-packages"
END=$(date +%s)
say "built $OUT in $((END - START)) s"
echo "    size:        $(du -h --apparent-size "$OUT" | cut -f1) ($(stat -c %s "$OUT") bytes)"
echo "    live system: $(du -h "$PARTS/filesystem.squashfs" | cut -f1) squashfs (zstd $LEVEL), $(wc -l < "$WORK/file-list.txt") files"
echo "    data:        ${DATA_MIB} MiB exFAT TRIAGE_DATA: $(echo "$DATA_LIST" | wc -l) files"
echo "    record:      $OUT.record (file list: $OUT.files)"
echo "    SHA-256:     $IMG_SHA"
echo "Write it to a stick with: dd if=$OUT of=/dev/sdX bs=4M conv=fsync status=progress"
