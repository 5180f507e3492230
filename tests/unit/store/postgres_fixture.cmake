# Read by ctest after test_store's discovered tests (a TEST_INCLUDE_FILES entry): the
# PostgreSQL legs need the server that scripts/postgres.sh starts, or they would skip.
foreach(test IN LISTS test_store_TESTS)
  if(test MATCHES "[Pp]ostgres")
    set_tests_properties("${test}" PROPERTIES FIXTURES_REQUIRED store_postgres)
  endif()
endforeach()
