# The built-in initramfs (build/<target>/initramfs.cpio): the guest ISA's static busybox
# with its applet links, packed by mkinitramfs.sh. The hosted machine loads it at boot
# (under any --initrd archives and the program of `amphi exec`); QEMU runs pass it as the
# initrd. AMPHI_GUEST_BUSYBOX names the busybox to pack; without one there is no initramfs.

find_program(AMPHI_HOST_BUSYBOX busybox PATHS /bin /usr/bin)
if(AMPHI_GUEST_ISA STREQUAL "x86_64")
  set(AMPHI_GUEST_BUSYBOX_DEFAULT ${AMPHI_HOST_BUSYBOX})
else()
  set(AMPHI_GUEST_BUSYBOX_DEFAULT "")
endif()
set(AMPHI_GUEST_BUSYBOX ${AMPHI_GUEST_BUSYBOX_DEFAULT} CACHE FILEPATH
    "static busybox of the guest ISA for the built-in initramfs")
set(AMPHI_INITRAMFS ${CMAKE_BINARY_DIR}/initramfs.cpio)

if(AMPHI_GUEST_BUSYBOX AND AMPHI_HOST_BUSYBOX)
  add_custom_command(OUTPUT ${AMPHI_INITRAMFS}
    COMMAND sh ${CMAKE_SOURCE_DIR}/user/mkinitramfs.sh ${AMPHI_GUEST_BUSYBOX}
            ${AMPHI_HOST_BUSYBOX} ${AMPHI_INITRAMFS}
    DEPENDS ${CMAKE_SOURCE_DIR}/user/mkinitramfs.sh ${AMPHI_GUEST_BUSYBOX}
    COMMENT "Packing the initramfs (busybox for ${AMPHI_GUEST_ISA})")
  add_custom_target(initramfs ALL DEPENDS ${AMPHI_INITRAMFS})
else()
  message(STATUS "no static busybox for ${AMPHI_GUEST_ISA}: no built-in initramfs")
endif()
