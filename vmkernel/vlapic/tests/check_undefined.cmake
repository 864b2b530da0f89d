# cmake -DLD=ld -DNM=nm -DOUT=all.o -DOBJS="a.o;b.o" -P check_undefined.cmake
# Links OBJS into one relocatable object and fails if it references any
# symbol it does not define.
execute_process(COMMAND ${LD} -r -o ${OUT} ${OBJS} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ld -r failed (${rc})")
endif()
execute_process(COMMAND ${NM} -u ${OUT} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -u failed (${rc})")
endif()
if(NOT undef STREQUAL "")
  message(FATAL_ERROR "undefined references in the freestanding objects:\n${undef}")
endif()
message(STATUS "no undefined references in: ${OBJS}")
