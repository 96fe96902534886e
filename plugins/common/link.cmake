# Included by a plugin folder once it has defined ${target}: links it to the code the bundled
# data sources share, adding this folder first when the plugin's folder is built alone.
if(NOT TARGET longalign_plugin_common)
  add_subdirectory(${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_BINARY_DIR}/common)
endif()
target_link_libraries(${target} PRIVATE longalign_plugin_common)
