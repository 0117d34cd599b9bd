#!/bin/bash
# VM boot test of the triage stick: build the image, boot it in qemu -- UEFI with Secure Boot
# enforced (OVMF with Microsoft's keys), UEFI without Secure Boot, legacy BIOS -- with a SATA and
# an NVMe evidence disk, let it scan and power off, then check the report on the data partition
# and that both evidence disks are unchanged. With Secure Boot it also checks the kernel says so,
# reports shim's SbatLevel before and after, and proves enforcement: the same firmware must refuse
# a copy of the image whose kernel, and one whose GRUB, has its signature stripped.
# Root; about 30-50 minutes on a shared 2-core machine (TCG emulation).
#   sudo tests/usb/boot_test.sh [--image IMG] [--secure-boot] [--uefi-only] [--bios-only] [--keep DIR]
# Without a mode flag every mode runs; the flags combine. Without --image the image is built
# from scratch first (build_usb.sh; the full path a fresh machine takes).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /var/tmp/triage-boot-test.XXXXXX)
IMAGE=""
MODES=()
KEEP=""
BOOT_TIMEOUT=${BOOT_TIMEOUT:-2400}  # seconds per boot under TCG (150 s alone, 900 s on a busy host)
REFUSE_TIMEOUT=${REFUSE_TIMEOUT:-600}  # seconds for the firmware to refuse a stripped image
OVMF=/usr/share/OVMF
ESP_OFFSET=$((4096 * 512))          # build_usb.sh puts the boot partition at sector 4096

while [ $# -gt 0 ]; do
	case "$1" in
		--image) IMAGE=$(realpath "$2"); shift 2 ;;
		--secure-boot) MODES+=(secure); shift ;;
		--uefi-only) MODES+=(uefi); shift ;;
		--bios-only) MODES+=(bios); shift ;;
		--keep) KEEP=$(realpath -m "$2"); shift 2 ;;
		*) echo "usage: $0 [--image IMG] [--secure-boot] [--uefi-only] [--bios-only] [--keep DIR]" >&2; exit 2 ;;
	esac
done
[ ${#MODES[@]} -gt 0 ] || MODES=(secure uefi bios)
[ "$(id -u)" = 0 ] || { echo "boot_test.sh: run as root (loop devices, FUSE, image build)." >&2; exit 2; }
for tool in qemu-system-x86_64 mcopy sgdisk mkfs.ext4 mkfs.vfat dumpe2fs mount.exfat-fuse sbattach; do
	command -v "$tool" >/dev/null || { echo "boot_test.sh: $tool is missing; apt-get install qemu-system-x86 ovmf mtools gdisk e2fsprogs dosfstools exfat-fuse sbsigntool" >&2; exit 2; }
done
for file in OVMF_CODE_4M.fd OVMF_VARS_4M.fd OVMF_CODE_4M.ms.fd OVMF_VARS_4M.ms.fd; do
	[ -f "$OVMF/$file" ] || { echo "boot_test.sh: $OVMF/$file is missing; apt-get install ovmf" >&2; exit 2; }
done

QEMU_PIDS=()
LOOPS=()
MOUNTS=()
cleanup() {
	local i
	for pid in "${QEMU_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" || true; done
	for loop in "${LOOPS[@]}"; do losetup -d "$loop" 2>/dev/null || true; done
	if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp -r "$WORK"/*.log "$WORK"/reports-* "$WORK"/vars-* "$KEEP"/ 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "==> $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=(python3)

# 1. Test material: a benign "known" picture, a signed hash set holding it, the keys.
say "making the test hash set and keys in $WORK"
mkdir -p "$WORK/pics" "$WORK/data/hashsets" "$WORK/data/keys/trusted"
"${PY[@]}" - "$WORK/pics/known.png" <<'EOF'
import sys
from PIL import Image, ImageDraw
img = Image.new("RGB", (320, 240), (20, 90, 160))
draw = ImageDraw.Draw(img)
for i in range(0, 320, 16):
    draw.line([(i, 0), (319 - i, 239)], fill=(250, 200 - i // 2, i % 255), width=3)
draw.ellipse([100, 60, 220, 180], outline=(255, 255, 0), width=6)
img.save(sys.argv[1])
EOF
KNOWN_SHA=$(sha256sum "$WORK/pics/known.png" | cut -d' ' -f1)
triage keys init lab --dir "$WORK/keys" >/dev/null
triage keys init stick --dir "$WORK/keys" >/dev/null
cp "$WORK/keys/lab.pub" "$WORK/data/keys/trusted/lab.pub"
triage hashset add-images "$WORK/pics" --name usb-boot-test --category test --into "$WORK/data/hashsets" \
	--sign "$WORK/keys/lab.key" >/dev/null

# 2. The image, built for real with the test data on its TRIAGE_DATA partition.
if [ -z "$IMAGE" ]; then
	say "building the image (build_usb.sh)"
	IMAGE="$WORK/triage-usb.img"
	built=$(date +%s)
	"$REPO/build_usb.sh" --out "$IMAGE" --compression "${COMPRESSION:-3}" --data-size 256 \
		--data "$WORK/data" --key "$WORK/keys/stick.key"
	echo "    image built in $(( $(date +%s) - built )) s"
else
	say "reusing $IMAGE: copying this run's hash set and keys onto its data partition"
	cp --sparse=always "$IMAGE" "$WORK/triage-usb.img"
	IMAGE="$WORK/triage-usb.img"
	read -r DSTART DSIZE < <(sgdisk -i 3 "$IMAGE" | awk '/First sector/{f=$3} /Last sector/{l=$3} END{print f*512, (l-f+1)*512}')
	LOOP=$(losetup -f --show -o "$DSTART" --sizelimit "$DSIZE" "$IMAGE"); LOOPS+=("$LOOP")
	blockdev --setrw "$LOOP"
	mkdir -p "$WORK/mnt"; mount.exfat-fuse "$LOOP" "$WORK/mnt"; MOUNTS+=("$WORK/mnt")
	cp -r "$WORK/data/." "$WORK/mnt/"; cp "$WORK/keys/stick.key" "$WORK/mnt/keys/stick.key"
	umount "$WORK/mnt"; MOUNTS=(); losetup -d "$LOOP"; LOOPS=()
fi
# Boot flags for the test: serial console, no questions, power off after the report (set on
# each copy of the image; the image itself keeps the stick's grub.cfg).
mtools_esp() { local cmd=$1 img=$2; shift 2; MTOOLS_SKIP_CHECK=1 "$cmd" -i "$img@@$ESP_OFFSET" "$@"; }
set_flags() {  # $1 = image, $2 = kernel flags for the test
	mtools_esp mtype "$1" ::/boot/grub/grub.cfg | sed "s/^set triage_flags=\"\"/set triage_flags=\"$2\"/" > "$WORK/grub.cfg"
	grep -q 'triage.auto' "$WORK/grub.cfg" || fail "grub.cfg on the image has no 'set triage_flags' line."
	mtools_esp mcopy "$1" -o "$WORK/grub.cfg" ::/boot/grub/grub.cfg
}
# no_timer_check: on a busy host the emulated timer can be late enough for the kernel's boot-time
# IO-APIC timer check to panic ("IO-APIC + timer doesn't work!"); panic=5: a panic reboots,
# which ends qemu (-no-reboot) at once instead of at the timeout.
FLAGS="console=ttyS0,115200 triage.auto triage.poweroff no_timer_check panic=5"
# The signed chain the build put on the image; a missing piece fails here, not in a boot.
for file in EFI/BOOT/BOOTX64.EFI EFI/BOOT/grubx64.efi EFI/BOOT/mmx64.efi .disk/info boot/grub/grub.cfg live/vmlinuz; do
	mtools_esp mdir "$IMAGE" "::/$file" >/dev/null 2>&1 || fail "the image has no /$file on its boot partition."
done
! mtools_esp mdir "$IMAGE" ::/EFI/BOOT/fbx64.efi >/dev/null 2>&1 \
	|| fail "the image has shim's fallback EFI/BOOT/fbx64.efi (it writes boot entries into the firmware)."

# Firmware for each mode: qemu arguments and the variable store (a fresh copy per boot).
firmware_args() {  # $1 = mode, $2 = vars copy; prints one argument per line
	case "$1" in
		secure) printf '%s\n' -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on \
			-drive "if=pflash,format=raw,readonly=on,file=$OVMF/OVMF_CODE_4M.ms.fd" -drive "if=pflash,format=raw,file=$2" ;;
		uefi) printf '%s\n' -machine q35 \
			-drive "if=pflash,format=raw,readonly=on,file=$OVMF/OVMF_CODE_4M.fd" -drive "if=pflash,format=raw,file=$2" ;;
		bios) printf '%s\n' -machine q35 ;;
	esac
}
vars_template() { case "$1" in secure) echo "$OVMF/OVMF_VARS_4M.ms.fd" ;; uefi) echo "$OVMF/OVMF_VARS_4M.fd" ;; esac; }
VARS=(python3 "$REPO/tests/usb/ovmf_vars.py")

# 3. Evidence disks: GPT, a FAT partition with the known picture, and an ext4 partition whose
# journal holds a committed but unreplayed transaction (copied while mounted, after sync): any
# mount of it, even "read-only", on a writable device would replay the journal and change the disk.
make_evidence() {  # $1 = image path
	local img=$1 part loop
	truncate -s 72M "$img"
	sgdisk -n 1:2048:+24M -t 1:0700 -n 2:0:+40M -t 2:8300 "$img" >/dev/null  # (sgdisk -q writes nothing)
	part="$WORK/fat.part"; truncate -s 24M "$part"; mkfs.vfat -n EVIDENCE "$part" >/dev/null
	MTOOLS_SKIP_CHECK=1 mmd -i "$part" ::/DCIM
	MTOOLS_SKIP_CHECK=1 mcopy -i "$part" "$WORK/pics/known.png" ::/DCIM/IMG_0001.PNG
	dd if="$part" of="$img" bs=1M seek=1 conv=notrunc status=none
	part="$WORK/ext4.part"; rm -f "$part"; truncate -s 40M "$part"
	mkfs.ext4 -q -F -L journal-pending "$part"
	loop=$(losetup -f --show "$part"); LOOPS+=("$loop"); blockdev --setrw "$loop"
	mkdir -p "$WORK/ext4mnt"; mount -t ext4 -o commit=600 "$loop" "$WORK/ext4mnt"; MOUNTS+=("$WORK/ext4mnt")
	mkdir -p "$WORK/ext4mnt/home/user"
	cp "$WORK/pics/known.png" "$WORK/ext4mnt/home/user/holiday.png"
	sync -f "$WORK/ext4mnt"
	dd if="$loop" of="$WORK/ext4-pending.part" bs=1M status=none
	umount "$WORK/ext4mnt"; MOUNTS=(); losetup -d "$loop"; LOOPS=()
	dumpe2fs -h "$WORK/ext4-pending.part" 2>/dev/null | grep -q needs_recovery \
		|| fail "could not make an ext4 with a pending journal (needs_recovery not set)."
	dd if="$WORK/ext4-pending.part" of="$img" bs=1M seek=25 conv=notrunc status=none
	rm -f "$WORK/fat.part" "$WORK/ext4.part" "$WORK/ext4-pending.part"
}

# 4. Boot, scan, power off, check.
data_partition() {  # prints "offset size" of the image's partition 3 in bytes
	sgdisk -i 3 "$1" | awk '/First sector/{f=$3} /Last sector/{l=$3} END{print f*512, (l-f+1)*512}'
}
PASSED=()
SUMMARY=()
start_qemu() {  # $1 = mode, $2 = stick image, $3 = serial log, $4 = vars copy; sets QEMU_PIDS
	local args
	mapfile -t args < <(firmware_args "$1" "$4")
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 "${args[@]}" -accel tcg -cpu max -smp 2 -m 2048 \
		-display none -monitor none -serial "file:$3" -no-reboot \
		-device qemu-xhci,id=xhci \
		-drive "if=none,id=stick,format=raw,file=$2" \
		-device usb-storage,bus=xhci.0,drive=stick,bootindex=0,serial=TRIAGESTICK \
		-drive "if=none,id=sata,format=raw,file=$WORK/sata.img" -device ide-hd,drive=sata,bus=ide.0,serial=EVIDENCE-SATA \
		-drive "if=none,id=nvme,format=raw,file=$WORK/nvme.img" -device nvme,drive=nvme,serial=EVIDENCE-NVME &
	QEMU_PIDS=($!)
}
# Enforcement is real: the Secure Boot firmware must refuse a stripped kernel and a stripped
# GRUB (the same image, one signature removed with sbattach --remove).
refuses() {  # $1 = what (kernel|grub), $2 = file on the boot partition, $3 = refusal pattern
	local what=$1 file=$2 pattern=$3 img="$WORK/unsigned-$1.img" log="$WORK/serial-unsigned-$1.log" waited=0
	say "[secure, unsigned $what] stripping the signature of /$file and booting (up to $REFUSE_TIMEOUT s)"
	cp --sparse=always "$IMAGE" "$img"
	set_flags "$img" "$FLAGS"
	mtools_esp mcopy "$img" "::/$file" "$WORK/stripped.efi"
	sbattach --remove "$WORK/stripped.efi" >/dev/null
	sbverify --list "$WORK/stripped.efi" 2>&1 | grep -q 'No signature table present' \
		|| fail "sbattach left a signature on /$file."
	mtools_esp mcopy "$img" -o "$WORK/stripped.efi" "::/$file"
	make_evidence "$WORK/sata.img"; make_evidence "$WORK/nvme.img"
	cp "$OVMF/OVMF_VARS_4M.ms.fd" "$WORK/vars-unsigned-$what.fd"
	: > "$log"
	start_qemu secure "$img" "$log" "$WORK/vars-unsigned-$what.fd"
	# A refused image never powers off (the firmware or GRUB waits): watch the log, then stop it.
	while ! grep -a -q -E "$pattern" "$log" && kill -0 "${QEMU_PIDS[0]}" 2>/dev/null && [ "$waited" -lt "$REFUSE_TIMEOUT" ]; do
		sleep 5; waited=$((waited + 5))
	done
	sleep 5
	kill "${QEMU_PIDS[0]}" 2>/dev/null || true; wait "${QEMU_PIDS[0]}" 2>/dev/null || true; QEMU_PIDS=()
	grep -a -q 'Linux version' "$log" && fail "[secure] the firmware started a kernel from the image with an unsigned $what."
	grep -a -m1 -o -E "$pattern" "$log" || fail "[secure] no refusal of the unsigned $what in $waited s (pattern: $pattern)."
	echo "    refused after $waited s: the unsigned $what did not start"
	rm -f "$img" "$WORK/sata.img" "$WORK/nvme.img" "$WORK/stripped.efi"
	SUMMARY+=("secure, unsigned $what: refused in ${waited} s")
}
for mode in "${MODES[@]}"; do
	say "[$mode] making two evidence disks (SATA, NVMe)"
	make_evidence "$WORK/sata.img"; make_evidence "$WORK/nvme.img"
	before_sata=$(sha256sum < "$WORK/sata.img"); before_nvme=$(sha256sum < "$WORK/nvme.img")
	cp --sparse=always "$IMAGE" "$WORK/stick-$mode.img"
	flags=$FLAGS
	# loglevel=7 puts the kernel's "Secure boot enabled" (an info message) on the serial log.
	[ "$mode" = secure ] && flags="$flags loglevel=7"
	set_flags "$WORK/stick-$mode.img" "$flags"
	sbat_before="(no firmware variables)"; sbat_after=$sbat_before
	if [ "$mode" != bios ]; then
		cp "$(vars_template "$mode")" "$WORK/vars-$mode.fd"
		cp "$WORK/vars-$mode.fd" "$WORK/vars-$mode.before.fd"
		sbat_before=$("${VARS[@]}" "$WORK/vars-$mode.before.fd" SbatLevel)
	fi
	say "[$mode] booting under qemu (TCG; up to $BOOT_TIMEOUT s)"
	started=$(date +%s)
	start_qemu "$mode" "$WORK/stick-$mode.img" "$WORK/serial-$mode.log" "$WORK/vars-$mode.fd"
	wait "${QEMU_PIDS[0]}" || fail "[$mode] qemu did not power off within $BOOT_TIMEOUT s; see the serial log (--keep DIR)."
	QEMU_PIDS=()
	took=$(( $(date +%s) - started ))
	echo "    booted, scanned and powered off in $took s"
	grep -a 'TRIAGE-RESULT' "$WORK/serial-$mode.log" || fail "[$mode] the officer console printed no result."
	grep -a 'TRIAGE-BOOT' "$WORK/serial-$mode.log" || fail "[$mode] the officer console printed no boot facts."
	if [ "$mode" = secure ]; then
		grep -a -m1 'Secure boot enabled' "$WORK/serial-$mode.log" \
			|| fail "[$mode] the kernel log does not say Secure Boot is enabled."
		grep -a -m1 'Kernel is locked down' "$WORK/serial-$mode.log" \
			|| fail "[$mode] the kernel log does not say the kernel is locked down."
	fi
	[ "$(sha256sum < "$WORK/sata.img")" = "$before_sata" ] || fail "[$mode] the SATA evidence disk changed."
	[ "$(sha256sum < "$WORK/nvme.img")" = "$before_nvme" ] || fail "[$mode] the NVMe evidence disk changed."
	echo "    both evidence disks unchanged (SHA-256 before = after)"
	if [ "$mode" != bios ]; then
		sbat_after=$("${VARS[@]}" "$WORK/vars-$mode.fd" SbatLevel)
		echo "    firmware SbatLevel before: $sbat_before"
		echo "    firmware SbatLevel after:  $sbat_after"
		files_before=$("${VARS[@]}" "$WORK/vars-$mode.before.fd" boot-files)
		files_after=$("${VARS[@]}" "$WORK/vars-$mode.fd" boot-files)
		[ "$files_after" = "$files_before" ] \
			|| fail "[$mode] a boot entry starting a file was written into the firmware: $files_after (before: $files_before)."
		echo "    boot entries that start a file from a disk: $files_after (unchanged)"
		echo "    firmware variables this boot changed: $("${VARS[@]}" "$WORK/vars-$mode.fd" changed-since "$WORK/vars-$mode.before.fd")"
	fi
	read -r offset size < <(data_partition "$WORK/stick-$mode.img")
	LOOP=$(losetup -r -f --show -o "$offset" --sizelimit "$size" "$WORK/stick-$mode.img"); LOOPS+=("$LOOP")
	mkdir -p "$WORK/data-$mode"; mount.exfat-fuse -o ro "$LOOP" "$WORK/data-$mode"; MOUNTS+=("$WORK/data-$mode")
	mkdir -p "$WORK/reports-$mode"; cp -r "$WORK/data-$mode/reports/." "$WORK/reports-$mode/"
	umount "$WORK/data-$mode"; MOUNTS=(); losetup -d "$LOOP"; LOOPS=()
	"${PY[@]}" "$REPO/tests/usb/check_report.py" "$WORK/reports-$mode" --known-sha256 "$KNOWN_SHA" \
		--boot "$mode" || fail "[$mode] the report does not say what it should (above)."
	report=$(ls -d "$WORK/reports-$mode"/*/ | head -n1)
	triage verify "$report" --trusted "$WORK/keys" >/dev/null || fail "[$mode] the report's signature does not verify."
	echo "    report signed by the stick's key and verified"
	rm -f "$WORK/stick-$mode.img" "$WORK/sata.img" "$WORK/nvme.img"
	PASSED+=("$mode")
	SUMMARY+=("$mode: ${took} s; SbatLevel before: $sbat_before; after: $sbat_after")
	if [ "$mode" = secure ]; then
		# GRUB asks shim to verify the kernel; shim asks the firmware (db) to verify GRUB.
		refuses kernel live/vmlinuz 'bad shim signature'
		refuses grub EFI/BOOT/grubx64.efi 'Security Violation|Verification failed|Failed to load image'
		PASSED+=(secure-refuses-unsigned)
	fi
done

say "PASSED: ${PASSED[*]}"
printf '    %s\n' "${SUMMARY[@]}"
