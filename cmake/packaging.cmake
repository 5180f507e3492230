# Install rules and the Debian package (CPack): the binary, its documentation and licence,
# systemd units for the long-running commands and a Grafana dashboard. `cpack -G DEB` in the
# build directory makes clickagg_<version>_<arch>.deb; its Depends come from dpkg-shlibdeps.
include(GNUInstallDirs)

install(TARGETS clickagg RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/host/emit/wire/clickagg_results.proto DESTINATION ${CMAKE_INSTALL_DOCDIR})
# /usr/lib/systemd/system: where Debian's systemd looks for units shipped by packages.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/packaging/systemd/ DESTINATION lib/systemd/system
        FILES_MATCHING PATTERN "*.service")
# The services' settings, a conffile: dpkg keeps an operator's edits across upgrades.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/config/clickagg.toml DESTINATION /etc/clickagg)
# The Grafana dashboard over the metrics every process serves, to import or provision.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/grafana/clickagg.json DESTINATION ${CMAKE_INSTALL_DATADIR}/clickagg/grafana)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clickagg)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "clickagg")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "exact ad click aggregation on GPU and CPU")
set(CPACK_PACKAGE_DESCRIPTION
    "Counts ad clicks per ad, minute and filter exactly once from Kafka or files, selects the top-N ads every minute, and serves the results over ZeroMQ, a query API and a dashboard.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "clickagg maintainers <clickagg@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")  # postinst makes the service user
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
