#!/bin/bash
# VM boot test of the triage stick: build the image, boot it in qemu (UEFI with OVMF, then BIOS)
# with a SATA and an NVMe evidence disk, let it scan and power off, then check the report on the
# data partition and that both evidence disks are unchanged. Root; about 10-20 minutes.
#   sudo tests/usb/boot_test.sh [--image IMG] [--uefi-only|--bios-only] [--keep DIR]
# --image reuses an image built by this script (it must hold the test hash set; see below).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /var/tmp/triage-boot-test.XXXXXX)
IMAGE=""
MODES=(uefi bios)
KEEP=""
BOOT_TIMEOUT=${BOOT_TIMEOUT:-1200}  # seconds per boot under TCG emulation (a boot took ~150 s)
ESP_OFFSET=$((4096 * 512))          # build_usb.sh puts the boot partition at sector 4096

while [ $# -gt 0 ]; do
	case "$1" in
		--image) IMAGE=$(realpath "$2"); shift 2 ;;
		--uefi-only) MODES=(uefi); shift ;;
		--bios-only) MODES=(bios); shift ;;
		--keep) KEEP=$(realpath -m "$2"); shift 2 ;;
		*) echo "usage: $0 [--image IMG] [--uefi-only|--bios-only] [--keep DIR]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "boot_test.sh: run as root (loop devices, FUSE, image build)." >&2; exit 2; }
for tool in qemu-system-x86_64 mcopy sgdisk mkfs.ext4 mkfs.vfat dumpe2fs mount.exfat-fuse; do
	command -v "$tool" >/dev/null || { echo "boot_test.sh: $tool is missing; apt-get install qemu-system-x86 ovmf mtools gdisk e2fsprogs dosfstools exfat-fuse" >&2; exit 2; }
done

QEMU_PIDS=()
LOOPS=()
MOUNTS=()
cleanup() {
	local i
	for pid in "${QEMU_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" || true; done
	for loop in "${LOOPS[@]}"; do losetup -d "$loop" 2>/dev/null || true; done
	if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp -r "$WORK"/*.log "$WORK"/reports-* "$KEEP"/ 2>/dev/null || true; fi
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
	"$REPO/build_usb.sh" --out "$IMAGE" --compression "${COMPRESSION:-3}" --data-size 256 \
		--data "$WORK/data" --key "$WORK/keys/stick.key"
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
# Boot flags for the test: serial console, no questions, power off after the report.
sed 's/^set triage_flags=""/set triage_flags="console=ttyS0,115200 triage.auto triage.poweroff"/' \
	<(MTOOLS_SKIP_CHECK=1 mtype -i "$IMAGE@@$ESP_OFFSET" ::/boot/grub/grub.cfg) > "$WORK/grub.cfg"
grep -q 'triage.auto' "$WORK/grub.cfg" || fail "grub.cfg on the image has no 'set triage_flags' line."
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$IMAGE@@$ESP_OFFSET" "$WORK/grub.cfg" ::/boot/grub/grub.cfg

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
for mode in "${MODES[@]}"; do
	say "[$mode] making two evidence disks (SATA, NVMe)"
	make_evidence "$WORK/sata.img"; make_evidence "$WORK/nvme.img"
	before_sata=$(sha256sum < "$WORK/sata.img"); before_nvme=$(sha256sum < "$WORK/nvme.img")
	cp --sparse=always "$IMAGE" "$WORK/stick-$mode.img"
	firmware=()
	if [ "$mode" = uefi ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
		firmware=(-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
		          -drive "if=pflash,format=raw,file=$WORK/vars.fd")
	fi
	say "[$mode] booting under qemu (TCG; up to $BOOT_TIMEOUT s)"
	started=$(date +%s)
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 2048 \
		"${firmware[@]}" -display none -monitor none -serial "file:$WORK/serial-$mode.log" -no-reboot \
		-device qemu-xhci,id=xhci \
		-drive "if=none,id=stick,format=raw,file=$WORK/stick-$mode.img" \
		-device usb-storage,bus=xhci.0,drive=stick,bootindex=0,serial=TRIAGESTICK \
		-drive "if=none,id=sata,format=raw,file=$WORK/sata.img" -device ide-hd,drive=sata,bus=ide.0,serial=EVIDENCE-SATA \
		-drive "if=none,id=nvme,format=raw,file=$WORK/nvme.img" -device nvme,drive=nvme,serial=EVIDENCE-NVME &
	QEMU_PIDS=($!)
	wait "${QEMU_PIDS[0]}" || fail "[$mode] qemu did not power off within $BOOT_TIMEOUT s; see the serial log (--keep DIR)."
	QEMU_PIDS=()
	echo "    booted, scanned and powered off in $(( $(date +%s) - started )) s"
	grep -a 'TRIAGE-RESULT' "$WORK/serial-$mode.log" || fail "[$mode] the officer console printed no result."
	[ "$(sha256sum < "$WORK/sata.img")" = "$before_sata" ] || fail "[$mode] the SATA evidence disk changed."
	[ "$(sha256sum < "$WORK/nvme.img")" = "$before_nvme" ] || fail "[$mode] the NVMe evidence disk changed."
	echo "    both evidence disks unchanged (SHA-256 before = after)"
	read -r offset size < <(data_partition "$WORK/stick-$mode.img")
	LOOP=$(losetup -r -f --show -o "$offset" --sizelimit "$size" "$WORK/stick-$mode.img"); LOOPS+=("$LOOP")
	mkdir -p "$WORK/data-$mode"; mount.exfat-fuse -o ro "$LOOP" "$WORK/data-$mode"; MOUNTS+=("$WORK/data-$mode")
	mkdir -p "$WORK/reports-$mode"; cp -r "$WORK/data-$mode/reports/." "$WORK/reports-$mode/"
	umount "$WORK/data-$mode"; MOUNTS=(); losetup -d "$LOOP"; LOOPS=()
	"${PY[@]}" "$REPO/tests/usb/check_report.py" "$WORK/reports-$mode" --known-sha256 "$KNOWN_SHA" \
		|| fail "[$mode] the report does not say what it should (above)."
	report=$(ls -d "$WORK/reports-$mode"/*/ | head -n1)
	triage verify "$report" --trusted "$WORK/keys" >/dev/null || fail "[$mode] the report's signature does not verify."
	echo "    report signed by the stick's key and verified"
	rm -f "$WORK/stick-$mode.img" "$WORK/sata.img" "$WORK/nvme.img"
	PASSED+=("$mode")
done
say "PASSED: ${PASSED[*]}"
