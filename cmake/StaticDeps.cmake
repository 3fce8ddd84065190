# Lean executables for small idle processes (issue 7).
#
# Most of an idle worker's resident memory was pages of shared libraries: each
# one is mapped, relocated and faulted in by the 64 KiB, far beyond the little
# of it Baton calls. Linked from archives, only the objects Baton references
# land in the executable, and OpenSSL is gone altogether: librabbitmq.so needs
# it for TLS, which Baton refuses (amqps://), and nothing Baton calls in
# librabbitmq.a reaches its TLS objects. glibc stays shared (NSS), and so does
# everything on a system without the archives.
#
# Baton's CMakeLists link the role targets baton::protobuf, baton::rabbitmq,
# baton::sqlite3, baton::yaml-cpp and baton::spdlog; this file points them at
# the archives or at the shared libraries. baton_lean_executable() links an
# executable with libstdc++ and libgcc static too (only when every C++ library
# under it is static: a static libstdc++ beside a shared C++ library that loads
# libstdc++.so would put two copies in the process), drops unreferenced
# sections, and packs its relative relocations (DT_RELR: a few KiB read at
# start instead of ~240 KiB of .rela.dyn). PIE and RELRO are unchanged: Debian
# builds the archives position-independent.
#
# BATON_STATIC_DEPS=OFF gives the plain shared build, for comparison.

option(BATON_STATIC_DEPS
       "Lean executables: protobuf, rabbitmq-c, SQLite, yaml-cpp, spdlog/fmt and libstdc++ linked statically when their archives are installed, unused sections dropped"
       ON)

set(BATON_DEPS_STATIC OFF)
if(BATON_STATIC_DEPS)
  find_library(BATON_PROTOBUF_ARCHIVE NAMES libprotobuf.a)
  find_library(BATON_RABBITMQ_ARCHIVE NAMES librabbitmq.a)
  find_library(BATON_SQLITE3_ARCHIVE NAMES libsqlite3.a)
  find_library(BATON_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.a
                  OUTPUT_VARIABLE baton_libstdcxx_archive OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(baton_missing)
  foreach(archive BATON_PROTOBUF_ARCHIVE BATON_RABBITMQ_ARCHIVE BATON_SQLITE3_ARCHIVE BATON_YAML_CPP_ARCHIVE)
    if(NOT ${archive})
      list(APPEND baton_missing ${archive})
    endif()
  endforeach()
  if(NOT IS_ABSOLUTE "${baton_libstdcxx_archive}")
    list(APPEND baton_missing libstdc++.a)
  endif()
  if(NOT TARGET fmt::fmt-header-only OR NOT TARGET spdlog::spdlog_header_only)
    list(APPEND baton_missing "header-only spdlog/fmt")
  endif()
  if(baton_missing)
    message(STATUS "BATON_STATIC_DEPS: not found: ${baton_missing}; linking the shared libraries")
  else()
    set(BATON_DEPS_STATIC ON)
    message(STATUS "BATON_STATIC_DEPS: linking protobuf, rabbitmq-c, SQLite, yaml-cpp, spdlog/fmt and libstdc++ statically")
  endif()

  # Every object gets its sections, so --gc-sections can drop what nothing calls.
  add_compile_options(-ffunction-sections -fdata-sections)
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" BATON_LINKER_HAS_RELR)
endif()

foreach(role protobuf rabbitmq sqlite3 yaml-cpp spdlog)
  add_library(baton::${role} INTERFACE IMPORTED)
endforeach()

if(BATON_DEPS_STATIC)
  set_target_properties(baton::protobuf PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${Protobuf_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${BATON_PROTOBUF_ARCHIVE};Threads::Threads")
  # Not rabbitmq::rabbitmq-static: it lists libssl and libcrypto, which the
  # objects Baton pulls from the archive never call.
  set_target_properties(baton::rabbitmq PROPERTIES INTERFACE_LINK_LIBRARIES "${BATON_RABBITMQ_ARCHIVE}")
  set_target_properties(baton::sqlite3 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SQLite3_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${BATON_SQLITE3_ARCHIVE};m;${CMAKE_DL_LIBS};Threads::Threads")
  set_target_properties(baton::yaml-cpp PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "$<TARGET_PROPERTY:yaml-cpp,INTERFACE_INCLUDE_DIRECTORIES>"
    INTERFACE_LINK_LIBRARIES "${BATON_YAML_CPP_ARCHIVE}")
  # Debian ships spdlog and fmt shared only; their header-only forms compile
  # into the few files that include them (the rest go through common/log).
  set_target_properties(baton::spdlog PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "$<TARGET_PROPERTY:spdlog::spdlog_header_only,INTERFACE_INCLUDE_DIRECTORIES>"
    INTERFACE_COMPILE_DEFINITIONS SPDLOG_FMT_EXTERNAL
    INTERFACE_LINK_LIBRARIES "fmt::fmt-header-only;Threads::Threads")
else()
  set_target_properties(baton::protobuf PROPERTIES INTERFACE_LINK_LIBRARIES protobuf::libprotobuf)
  set_target_properties(baton::rabbitmq PROPERTIES INTERFACE_LINK_LIBRARIES rabbitmq::rabbitmq)
  set_target_properties(baton::sqlite3 PROPERTIES INTERFACE_LINK_LIBRARIES SQLite::SQLite3)
  set_target_properties(baton::yaml-cpp PROPERTIES INTERFACE_LINK_LIBRARIES yaml-cpp)
  set_target_properties(baton::spdlog PROPERTIES INTERFACE_LINK_LIBRARIES spdlog::spdlog)
endif()

function(baton_lean_executable)
  if(NOT BATON_STATIC_DEPS)
    return()
  endif()
  foreach(target ${ARGN})
    target_link_options(${target} PRIVATE -Wl,--gc-sections)
    if(BATON_LINKER_HAS_RELR)
      target_link_options(${target} PRIVATE -Wl,-z,pack-relative-relocs)
    endif()
    if(BATON_DEPS_STATIC)
      target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    endif()
  endforeach()
endfunction()
