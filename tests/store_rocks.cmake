# The RocksDB storage tests' helper program: store_rocks_crash_test starts it,
# reads its acknowledgements and kills it with SIGKILL.
add_executable(store_rocks_crash_writer ${CMAKE_CURRENT_SOURCE_DIR}/store_rocks_crash_writer.cc)
target_link_libraries(store_rocks_crash_writer PRIVATE warden_store_rocks)
warden_strict(store_rocks_crash_writer)
if(TARGET store_tests)
  add_dependencies(store_tests store_rocks_crash_writer)
  target_compile_definitions(store_tests PRIVATE
    WARDEN_ROCKS_CRASH_WRITER="$<TARGET_FILE:store_rocks_crash_writer>")
endif()
