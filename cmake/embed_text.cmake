# cmake -DIN=file -DOUT=header -DNAME=kSymbol -P embed_text.cmake
# Writes OUT holding `static const char NAME[] = "...";`: IN's bytes as a string literal (hex
# escapes), so a page is compiled into the binary and never read from disk at run time.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" esc "${hex}")
string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){64})" "\\1\"\n\"" esc "${esc}")
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by cmake/embed_text.cmake: do not edit.\n#pragma once\nstatic const char ${NAME}[] =\n\"${esc}\";\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
