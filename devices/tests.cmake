# Tests of the shared drivers, included by tests/CMakeLists.txt.
#
# virtio-blk on disks backed by host files, on every target: busybox's dd through /dev/vda
# against the host's dd and sha256sum on the same files, a read-only disk, ext2 on /dev/vda
# checked by the host's e2fsck and debugfs, and the driver's ktests (requests in flight, more than a queue, flush, EROFS). Hosted: --disk
# options, also under memcheck and ASan; QEMU: virtio-blk-device drives on aarch64 virt
# and x86_64 microvm (harness/boot puts microvm's virtio_mmio.device= entries on the
# command line).
set(VIRTIO_DISK bash ${CMAKE_SOURCE_DIR}/devices/virtio/disk_test.sh)
set(VIRTIO_RW_OK --expect-output "ok - the writes through /dev/vda equal the host's dd")
set(VIRTIO_RO_OK --expect-output "ok - writes to the read-only disk are refused")
set(VIRTIO_EXT2_OK --expect-output "ok - debugfs reads back the files and the symlink")

amphi_test(NAME virtio-disk-rw-hosted TIMEOUT 120 LABELS hosted RUN_ARGS --no-ktap ${VIRTIO_RW_OK}
           COMMAND ${VIRTIO_DISK} rw hosted ${AMPHI_HOSTED_BIN})
amphi_test(NAME virtio-disk-ro-hosted TIMEOUT 120 LABELS hosted RUN_ARGS --no-ktap ${VIRTIO_RO_OK}
           COMMAND ${VIRTIO_DISK} ro hosted ${AMPHI_HOSTED_BIN})
amphi_test(NAME virtio-ext2-hosted TIMEOUT 120 LABELS hosted RUN_ARGS --no-ktap ${VIRTIO_EXT2_OK}
           COMMAND ${VIRTIO_DISK} ext2 hosted ${AMPHI_HOSTED_BIN})
amphi_test(NAME virtio-blk-ktest-hosted TIMEOUT 120 LABELS hosted
           COMMAND ${VIRTIO_DISK} ktest virtio_blk hosted ${AMPHI_HOSTED_BIN} --cpus 2)
if(AMPHI_VALGRIND)
  amphi_test(NAME virtio-disk-rw-memcheck TIMEOUT 300 LABELS valgrind
             RUN_ARGS --no-ktap ${VIRTIO_RW_OK}
             COMMAND ${VIRTIO_DISK} rw hosted ${MEMCHECK} ${AMPHI_HOSTED_BIN})
  amphi_test(NAME virtio-blk-ktest-memcheck TIMEOUT 300 LABELS valgrind
             COMMAND ${VIRTIO_DISK} ktest virtio_blk hosted ${MEMCHECK} ${AMPHI_HOSTED_BIN})
endif()
amphi_test(NAME virtio-disk-rw-asan TIMEOUT 120 LABELS asan RUN_ARGS --no-ktap ${VIRTIO_RW_OK}
           COMMAND ${VIRTIO_DISK} rw hosted ${AMPHI_HOSTED_ASAN_BIN})
amphi_test(NAME virtio-blk-ktest-asan TIMEOUT 120 LABELS asan
           COMMAND ${VIRTIO_DISK} ktest virtio_blk hosted ${AMPHI_HOSTED_ASAN_BIN})

# Under QEMU, with QEMU's own virtio-mmio devices (and its entropy device, which must seed
# the pool). The aarch64 side needs Debian's arm64 busybox (scripts/setup-deps.sh).
set(virtio_arm64_busybox ${CMAKE_SOURCE_DIR}/build/deps/busybox-static-arm64/bin)
get_filename_component(virtio_host_busybox ${AMPHI_BUSYBOX} DIRECTORY)
foreach(target x86_64 aarch64)
  set(bb ${virtio_host_busybox})
  set(pass 1) # isa-debug-exit's (0 << 1) | 1
  if(target STREQUAL "aarch64")
    set(bb ${virtio_arm64_busybox})
    set(pass 0)
  endif()
  amphi_test(NAME virtio-blk-ktest-${target} TIMEOUT 180 LABELS qemu
             ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --expect-exit ${pass}
                      --expect-output "virtio-rng, 64 bytes seeded the random pool"
             COMMAND ${VIRTIO_DISK} ktest virtio_blk qemu ${target})
  if(EXISTS ${bb}/busybox)
    amphi_test(NAME virtio-disk-rw-${target} TIMEOUT 180 LABELS qemu
               ENVIRONMENT "${AMPHI_BOOT_ENV}" RUN_ARGS --no-ktap ${VIRTIO_RW_OK}
               COMMAND ${VIRTIO_DISK} rw qemu ${target} ${bb})
    amphi_test(NAME virtio-disk-ro-${target} TIMEOUT 180 LABELS qemu
               ENVIRONMENT "${AMPHI_BOOT_ENV}" RUN_ARGS --no-ktap ${VIRTIO_RO_OK}
               COMMAND ${VIRTIO_DISK} ro qemu ${target} ${bb})
    amphi_test(NAME virtio-ext2-${target} TIMEOUT 180 LABELS qemu
               ENVIRONMENT "${AMPHI_BOOT_ENV}" RUN_ARGS --no-ktap ${VIRTIO_EXT2_OK}
               COMMAND ${VIRTIO_DISK} ext2 qemu ${target} ${bb})
  endif()
endforeach()

# The framebuffer console on the hosted virtio GPU: the --screenshot PNG of a known text
# equals the checked-in reference and the text drawn from the console font
# (devices/fb/screenshot_test.sh), also under memcheck and ASan.
set(FBCON_SHOT bash ${CMAKE_SOURCE_DIR}/devices/fb/screenshot_test.sh)
set(FBCON_SHOT_OK --no-ktap --expect-output "ok - fbcon screenshot")
amphi_test(NAME fbcon-screenshot-hosted TIMEOUT 120 LABELS hosted RUN_ARGS ${FBCON_SHOT_OK}
           COMMAND ${FBCON_SHOT} hosted ${AMPHI_HOSTED_BIN})
if(AMPHI_VALGRIND)
  amphi_test(NAME fbcon-screenshot-memcheck TIMEOUT 300 LABELS valgrind
             RUN_ARGS ${FBCON_SHOT_OK} COMMAND ${FBCON_SHOT} hosted ${MEMCHECK} ${AMPHI_HOSTED_BIN})
endif()
amphi_test(NAME fbcon-screenshot-asan TIMEOUT 120 LABELS asan RUN_ARGS ${FBCON_SHOT_OK}
           COMMAND ${FBCON_SHOT} hosted ${AMPHI_HOSTED_ASAN_BIN})
# The aarch64 guest's hosted build draws the same screen.
amphi_test(NAME fbcon-screenshot-hosted-aarch64 TIMEOUT 120 LABELS hosted
           RUN_ARGS ${FBCON_SHOT_OK} COMMAND ${FBCON_SHOT} hosted ${AMPHI_HOSTED_AARCH64_BIN})
# Ctrl-A s on a terminal: the screenshot on demand shows the prompt, command and output.
amphi_test(NAME fbcon-screenshot-ctrl-a-s TIMEOUT 90 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok - Ctrl-A s wrote the screen"
           COMMAND python3 ${CMAKE_SOURCE_DIR}/devices/fb/screenshot_pty.py ${AMPHI_HOSTED_BIN}
                   ${AMPHI_FBCON_FONT})
# The same with the SDL window open (SDL's offscreen video driver: no X server).
amphi_test(NAME fbcon-screenshot-sdl TIMEOUT 120 LABELS hosted RUN_ARGS ${FBCON_SHOT_OK}
           COMMAND ${FBCON_SHOT} sdl ${AMPHI_HOSTED_BIN})
# The display's default at a terminal: a window in a desktop session (or offscreen when
# it cannot open, with a line), none without one.
amphi_test(NAME display-default-tty TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok 3 - no desktop, no display"
           COMMAND python3 ${CMAKE_SOURCE_DIR}/devices/fb/display_default_pty.py
                   ${AMPHI_HOSTED_BIN})
# The virtio keyboard: --keys types shell commands (Shift, Ctrl) whose output the
# screenshot must show.
set(KEYS_OK --no-ktap --expect-output "ok - the keyboard typed the commands")
amphi_test(NAME virtio-input-keys-hosted TIMEOUT 120 LABELS hosted RUN_ARGS ${KEYS_OK}
           COMMAND ${FBCON_SHOT} keys ${AMPHI_HOSTED_BIN})
if(AMPHI_VALGRIND)
  amphi_test(NAME virtio-input-keys-memcheck TIMEOUT 300 LABELS valgrind RUN_ARGS ${KEYS_OK}
             COMMAND ${FBCON_SHOT} keys ${MEMCHECK} ${AMPHI_HOSTED_BIN})
endif()
amphi_test(NAME virtio-input-keys-asan TIMEOUT 120 LABELS asan RUN_ARGS ${KEYS_OK}
           COMMAND ${FBCON_SHOT} keys ${AMPHI_HOSTED_ASAN_BIN})
# /dev/fb0: user/tests/fbtest checks the screen info ioctls and draws a pattern through
# mmap; the screenshot must be that pattern.
set(FBDEV_OK --no-ktap --expect-output "ok - fbtest's pattern through /dev/fb0")
set(FBTEST ${CMAKE_BINARY_DIR}/user/fbtest)
amphi_test(NAME fbdev-pattern-hosted TIMEOUT 120 LABELS hosted RUN_ARGS ${FBDEV_OK}
           COMMAND ${FBCON_SHOT} fbdev ${AMPHI_HOSTED_BIN} ${FBTEST})
if(AMPHI_VALGRIND)
  amphi_test(NAME fbdev-pattern-memcheck TIMEOUT 300 LABELS valgrind RUN_ARGS ${FBDEV_OK}
             COMMAND ${FBCON_SHOT} fbdev ${MEMCHECK} ${AMPHI_HOSTED_BIN} ${FBTEST})
endif()
amphi_test(NAME fbdev-pattern-asan TIMEOUT 120 LABELS asan RUN_ARGS ${FBDEV_OK}
           COMMAND ${FBCON_SHOT} fbdev ${AMPHI_HOSTED_ASAN_BIN} ${FBTEST})
# The same text under QEMU on virtio-gpu-device (x86_64 microvm, aarch64 virt): QEMU's
# screendump after the power-off line equals the hosted screenshot, pixel for pixel.
foreach(target x86_64 aarch64)
  set(bb ${virtio_host_busybox})
  if(target STREQUAL "aarch64")
    set(bb ${virtio_arm64_busybox})
  endif()
  if(EXISTS ${bb}/busybox)
    amphi_test(NAME fbcon-screenshot-${target} TIMEOUT 180 LABELS qemu
               ENVIRONMENT "${AMPHI_BOOT_ENV}" RUN_ARGS ${FBCON_SHOT_OK}
               COMMAND ${FBCON_SHOT} qemu ${target} ${bb} ${AMPHI_HOSTED_BIN})
    # virtio-keyboard-device: a line QEMU's keyboard types comes back from the shell
    amphi_test(NAME virtio-input-keys-${target} TIMEOUT 180 LABELS qemu
               ENVIRONMENT "${AMPHI_BOOT_ENV}"
               RUN_ARGS --no-ktap --expect-output "ok - QEMU's keyboard typed the line"
               COMMAND ${FBCON_SHOT} qemu-keys ${target} ${bb})
  endif()
endforeach()
