# The Debian package, with CPack's DEB generator (scripts/package.sh builds and checks it).
#
# CPack rather than a debian/ folder: the package is made from the same install rules as
# `cmake --install`, so what a source install and the package put on a machine cannot drift apart, and
# CI packages the build it has already compiled (build-matrix/dpkg-buildflags) instead of compiling a
# fifth time under dpkg-buildpackage. dpkg-shlibdeps still computes the dependencies from the binaries.
# A package for Debian's archive would need a source package (debian/ and debhelper); that is a
# packager's job once the project has a license, and these install rules are what it would call.

# Debian's version: the project's, plus the commit count and hash from a checkout, so that packages
# built from later commits sort later (a bare hash would not).
set(KEAP_AUTH_DEBIAN_VERSION "${KEAP_AUTH_VERSION_STRING}-1")
set(KEAP_AUTH_PACKAGE_MAINTAINER "keap-auth maintainers <keap-auth@users.noreply.github.com>"
    CACHE STRING "The Maintainer field of the Debian package")
string(TIMESTAMP KEAP_AUTH_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)

# Debian's documentation files, made at build time and installed with the rest.
set(KEAP_PACKAGE_FOLDER ${PROJECT_BINARY_DIR}/package)
configure_file(packaging/changelog.Debian.in ${KEAP_PACKAGE_FOLDER}/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${KEAP_PACKAGE_FOLDER}/changelog.Debian.gz ${KEAP_PACKAGE_FOLDER}/changelog.gz
                   COMMAND gzip -9n -c ${KEAP_PACKAGE_FOLDER}/changelog.Debian > ${KEAP_PACKAGE_FOLDER}/changelog.Debian.gz
                   COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/CHANGELOG.md > ${KEAP_PACKAGE_FOLDER}/changelog.gz
                   DEPENDS ${KEAP_PACKAGE_FOLDER}/changelog.Debian ${PROJECT_SOURCE_DIR}/CHANGELOG.md
                   COMMENT "Compressing the changelogs")
add_custom_target(keap_package_docs ALL DEPENDS ${KEAP_PACKAGE_FOLDER}/changelog.Debian.gz
                                                ${KEAP_PACKAGE_FOLDER}/changelog.gz)

# systemd units, with the installed program's path written in; under the prefix's lib/ (never the
# multiarch libdir), which systemd reads for /usr and for /usr/local alike.
set(KEAP_AUTH_SYSTEMD_FOLDER lib/systemd)
set(KEAP_AUTH_INSTALLED_PROGRAM ${CMAKE_INSTALL_FULL_BINDIR}/keap-auth)
configure_file(packaging/systemd/keap-auth-refresh@.service.in ${KEAP_PACKAGE_FOLDER}/system/keap-auth-refresh@.service
               @ONLY)
configure_file(packaging/systemd/user/keap-auth-refresh.service.in ${KEAP_PACKAGE_FOLDER}/user/keap-auth-refresh.service
               @ONLY)
configure_file(packaging/systemd/keap-auth-agent.service.in ${KEAP_PACKAGE_FOLDER}/system/keap-auth-agent.service @ONLY)
configure_file(packaging/systemd/user/keap-auth-agent.service.in ${KEAP_PACKAGE_FOLDER}/user/keap-auth-agent.service
               @ONLY)

# Installed, never enabled: the agent's account and group are the administrator's to make first.
install(FILES ${KEAP_PACKAGE_FOLDER}/system/keap-auth-refresh@.service packaging/systemd/keap-auth-refresh@.timer
              ${KEAP_PACKAGE_FOLDER}/system/keap-auth-agent.service packaging/systemd/keap-auth-agent.socket
        DESTINATION ${KEAP_AUTH_SYSTEMD_FOLDER}/system)
install(FILES ${KEAP_PACKAGE_FOLDER}/user/keap-auth-refresh.service packaging/systemd/user/keap-auth-refresh.timer
              ${KEAP_PACKAGE_FOLDER}/user/keap-auth-agent.service packaging/systemd/user/keap-auth-agent.socket
        DESTINATION ${KEAP_AUTH_SYSTEMD_FOLDER}/user)
install(FILES README.md SECURITY.md keap-auth.example.json packaging/copyright ${KEAP_PACKAGE_FOLDER}/changelog.gz
              ${KEAP_PACKAGE_FOLDER}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME keap-auth)
set(CPACK_PACKAGE_VERSION ${KEAP_AUTH_VERSION_STRING})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGE_CONTACT ${KEAP_AUTH_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OAuth login and token keeper for Keap's REST API")
# The long description; CPack puts the summary above it as the synopsis.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "keap-auth gets Keap (Infusionsoft) OAuth tokens into services that have no\n"
    "browser: it runs Keap's authorization in a browser once, receives the code on\n"
    "a loopback redirect URI, exchanges it, and stores the token pair where\n"
    "services read it. It then keeps the pair alive (refresh, token, status,\n"
    "refresh --all for many accounts), makes REST calls with OAuth tokens or\n"
    "Personal Access Tokens, and can share one grant between hosts in PostgreSQL.")
# The dependencies come from the binaries (dpkg-shlibdeps); Keap is reached over TLS, so the CA
# certificates are all but needed, and a browser is what `login` opens.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "chromium | www-browser, postgresql-client")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                                WORLD_READ WORLD_EXECUTE)
include(CPack)
