# Writes OUT (a header defining DLA_VERSION) from `git describe --always --dirty` of SRC, run at
# every build (target dla_version); configure_file leaves OUT untouched when the text is the same,
# so nothing recompiles unless the version changed. Outside a git checkout (a source tarball) the
# version is the project's, PROJECT_VERSION.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty
                OUTPUT_VARIABLE DLA_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(rc EQUAL 0 AND DLA_GIT_DESCRIBE)
  set(DLA_VERSION "${DLA_GIT_DESCRIBE}")
else()
  set(DLA_VERSION "${PROJECT_VERSION}")
endif()
configure_file("${SRC}/cmake/dla_version.h.in" "${OUT}" @ONLY)
