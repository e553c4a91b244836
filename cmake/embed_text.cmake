# cmake -DIN=<file> -DOUT=<file.c> -DSYMBOL=<name> -P embed_text.cmake
# Writes a C file defining `const char <name>[]` (the file's bytes plus a
# NUL) and `const size_t <name>_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "/* Generated from ${IN}: do not edit. */\n#include <stddef.h>\n"
  "const char ${SYMBOL}[] = {\n${bytes}0x00};\nconst size_t ${SYMBOL}_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
