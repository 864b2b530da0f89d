# cmake -DNM=nm -DOBJECTS="a.o;b.o" -DALLOW="regex" -P check-undefined.cmake
# Fails unless every symbol the objects leave undefined matches ALLOW: a
# freestanding library must need nothing the vmkernel image does not give it.
execute_process(COMMAND ${NM} -u ${OBJECTS}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -u failed (${rc})")
endif()
string(REGEX MATCHALL "[ \t]U [^\n]+" undef "${out}")
set(bad "")
foreach(u IN LISTS undef)
  string(REGEX REPLACE "^[ \t]U " "" sym "${u}")
  if(NOT sym MATCHES "${ALLOW}")
    list(APPEND bad ${sym})
  endif()
endforeach()
list(LENGTH undef n)
if(bad)
  message(FATAL_ERROR "undefined outside '${ALLOW}': ${bad}")
endif()
message(STATUS "${n} undefined symbols, all matching '${ALLOW}'")
