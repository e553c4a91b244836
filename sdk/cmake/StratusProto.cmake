# stratus_add_proto(<target> PROTOS <files...> [PROTO_ROOT <dir>])
#
# Compiles a plugin's own .proto files with protoc-c and builds the C code
# into <target> (it stays private to the plugin: hidden visibility). Each
# file is named to protoc by its path under PROTO_ROOT (default: the
# directory of the first file), e.g. PROTO_ROOT proto and
# proto/ledger/v1/ledger.proto give #include "ledger/v1/ledger.pb-c.h".
# Stratus's own contracts (v1, share/stratus/proto/v1) are on the import
# path: `import "characters/characters.proto";` uses the messages that
# libstratus-proto already holds.

include_guard(GLOBAL)

function(stratus_add_proto target)
  cmake_parse_arguments(P "" "PROTO_ROOT" "PROTOS" ${ARGN})
  if(NOT P_PROTOS)
    message(FATAL_ERROR "stratus_add_proto(${target}): PROTOS is required")
  endif()
  find_program(STRATUS_PROTOC_C_EXECUTABLE NAMES protoc-c REQUIRED)
  if(NOT P_PROTO_ROOT)
    list(GET P_PROTOS 0 first)
    get_filename_component(P_PROTO_ROOT "${first}" DIRECTORY)
  endif()
  get_filename_component(root "${P_PROTO_ROOT}" ABSOLUTE)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}-proto")
  set(includes "-I${root}")
  if(STRATUS_PROTO_IMPORT_DIR)
    list(APPEND includes "-I${STRATUS_PROTO_IMPORT_DIR}")
  endif()
  foreach(proto IN LISTS P_PROTOS)
    get_filename_component(abs "${proto}" ABSOLUTE)
    file(RELATIVE_PATH rel "${root}" "${abs}")
    if(rel MATCHES "^\\.\\./")
      message(FATAL_ERROR "stratus_add_proto(${target}): ${proto} is not under ${root}")
    endif()
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    add_custom_command(
      OUTPUT "${out}/${stem}.pb-c.c" "${out}/${stem}.pb-c.h"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${out}"
      COMMAND "${STRATUS_PROTOC_C_EXECUTABLE}" ${includes} "--c_out=${out}" "${rel}"
      WORKING_DIRECTORY "${root}"
      DEPENDS "${abs}"
      COMMENT "protoc-c ${rel}"
      VERBATIM)
    target_sources(${target} PRIVATE "${out}/${stem}.pb-c.c" "${out}/${stem}.pb-c.h")
  endforeach()
  target_include_directories(${target} PRIVATE "${out}")
endfunction()
