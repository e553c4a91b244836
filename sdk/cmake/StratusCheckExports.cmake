# cmake -DPLUGIN=<file.so> -P StratusCheckExports.cmake
# Fails unless the plugin's dynamic symbol table defines exactly one symbol,
# stratus_plugin_entry.
find_program(_nm NAMES nm REQUIRED)
execute_process(COMMAND "${_nm}" -D --defined-only "${PLUGIN}"
  OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${PLUGIN}")
endif()
string(REPLACE "\n" ";" _lines "${_out}")
set(_exports "")
foreach(_line IN LISTS _lines)
  if(_line MATCHES "^[0-9a-fA-F]* +[A-Za-z] +(.+)$")
    set(_sym "${CMAKE_MATCH_1}")
    # Version-script nodes are absolute symbols, not code or data.
    if(NOT _line MATCHES " A ")
      list(APPEND _exports "${_sym}")
    endif()
  endif()
endforeach()
if(NOT _exports STREQUAL "stratus_plugin_entry")
  message(FATAL_ERROR "${PLUGIN} must export only stratus_plugin_entry; "
                      "it exports: ${_exports}")
endif()
