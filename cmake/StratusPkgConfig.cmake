# stratus_pc_dirs(<prefix>): sets <prefix>_PREFIX, _LIBDIR, _INCLUDEDIR and
# _DATADIR for a .pc file installed into ${CMAKE_INSTALL_LIBDIR}/pkgconfig.
# With relative install dirs the prefix is computed from the .pc file's own
# location, so a tree installed with `cmake --install --prefix` stays valid.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(stratus_pc_dirs var)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}"
     OR IS_ABSOLUTE "${CMAKE_INSTALL_DATADIR}")
    set(${var}_PREFIX "${CMAKE_INSTALL_PREFIX}" PARENT_SCOPE)
    set(${var}_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}" PARENT_SCOPE)
    set(${var}_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}" PARENT_SCOPE)
    set(${var}_DATADIR "${CMAKE_INSTALL_FULL_DATADIR}" PARENT_SCOPE)
  else()
    file(RELATIVE_PATH up "/r/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/r")
    string(REGEX REPLACE "/+$" "" up "${up}")
    set(${var}_PREFIX "\${pcfiledir}/${up}" PARENT_SCOPE)
    set(${var}_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}" PARENT_SCOPE)
    set(${var}_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}" PARENT_SCOPE)
    set(${var}_DATADIR "\${prefix}/${CMAKE_INSTALL_DATADIR}" PARENT_SCOPE)
  endif()
endfunction()
