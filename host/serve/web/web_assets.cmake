# Embeds the dashboard (this folder's page, script and style, and the uPlot charting library
# that scripts/setup.sh installs from the npm registry into node_modules) and the OpenAPI
# document (host/serve/openapi.json) into `target`.
# Nothing is downloaded here: the build only reads files already present.
function(clickagg_embed_web_assets target)
  set(web ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
  set(uplot ${web}/node_modules/uplot)
  if(NOT EXISTS ${uplot}/dist/uPlot.iife.min.js)
    message(FATAL_ERROR
      "The dashboard's charting library is not installed (${uplot} is missing). "
      "Run scripts/setup.sh (it runs `npm ci` in host/serve/web), then configure again.")
  endif()
  # URL path = source file; content types come from the file extensions.
  set(entries
    "/=${web}/index.html"
    "/assets/dashboard.js=${web}/dashboard.js"
    "/assets/dashboard.css=${web}/dashboard.css"
    "/assets/favicon.svg=${web}/favicon.svg"
    "/assets/uPlot.min.js=${uplot}/dist/uPlot.iife.min.js"
    "/assets/uPlot.min.css=${uplot}/dist/uPlot.min.css"
    "/assets/uPlot.LICENSE.txt=${uplot}/LICENSE"
    "/openapi.json=${web}/../openapi.json")
  set(files "")
  foreach(entry IN LISTS entries)
    string(REGEX REPLACE "^[^=]*=" "" file "${entry}")
    list(APPEND files ${file})
  endforeach()
  string(REPLACE ";" "|" joined "${entries}")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/web_assets_data.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DENTRIES=${joined} -P ${web}/embed_files.cmake
    DEPENDS ${files} ${web}/embed_files.cmake
    COMMENT "Embedding the dashboard files"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
