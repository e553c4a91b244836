# stratus_add_plugin(<name> SOURCES <files...> [LIBRARIES <libs...>]
#                    [COMPONENT <component>] [SQL_DIR <dir>] [NO_INSTALL])
#
# Builds <name>.so as a Stratus plugin: C11, hidden visibility, exactly one
# exported symbol (stratus_plugin_entry, enforced by a version script and
# checked after every link), no undefined symbols (a plugin reaches the host
# only through the API table), installed into <libdir>/stratus/plugins.
#
# The plugin's migrations, SQL_DIR (default: sql/ beside the calling
# CMakeLists.txt, if it exists) holding <kind>/NNNN_<what>.sql, are installed
# into <datadir>/stratus/sql/plugins/<name>/ in the same component, where
# `stratusctl migrate` applies them.
#
# Expects a target Stratus::sdk (defined by find_package(StratusPlugin) or by
# the Stratus source tree).

include_guard(GLOBAL)
include(GNUInstallDirs)
include("${CMAKE_CURRENT_LIST_DIR}/StratusProto.cmake")

function(stratus_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "COMPONENT;SQL_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "stratus_add_plugin(${name}): SOURCES is required")
  endif()
  set(dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  if(NOT P_COMPONENT)
    set(P_COMPONENT plugins)
  endif()
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    # <libdir>/stratus/plugins -> <libdir>, where libstratus-proto lives
    INSTALL_RPATH "$ORIGIN/../..")
  if(DEFINED STRATUS_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${STRATUS_PLUGIN_OUTPUT_DIR}")
  endif()
  target_compile_definitions(${name} PRIVATE STRATUS_PLUGIN_NAME="${name}")
  target_link_libraries(${name} PRIVATE Stratus::sdk ${P_LIBRARIES})
  target_link_options(${name} PRIVATE
    "-Wl,--version-script=${dir}/plugin.map"
    "-Wl,-z,defs")
  set_property(TARGET ${name} APPEND PROPERTY
    LINK_DEPENDS "${dir}/plugin.map")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" -DPLUGIN=$<TARGET_FILE:${name}>
            -P "${dir}/StratusCheckExports.cmake"
    VERBATIM)
  if(NOT P_SQL_DIR AND IS_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}/sql")
    set(P_SQL_DIR "${CMAKE_CURRENT_SOURCE_DIR}/sql")
  endif()
  if(NOT P_NO_INSTALL)
    install(TARGETS ${name}
      LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}/stratus/plugins"
      COMPONENT ${P_COMPONENT})
    if(P_SQL_DIR)
      install(DIRECTORY "${P_SQL_DIR}/"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/stratus/sql/plugins/${name}"
        COMPONENT ${P_COMPONENT} FILES_MATCHING PATTERN "*.sql")
    endif()
  endif()
endfunction()
