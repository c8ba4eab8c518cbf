# shellcheck shell=bash
# Server start/stop helpers shared by scripts/interop.sh and
# scripts/interop/capture_fixtures.sh. Source this file; do not run it.
#
# Every server runs in the foreground of a background job, on 127.0.0.1, on a
# port we picked, with a config generated into its own work directory. No
# system config file is read for listening, logging or pid files, and nothing
# outside the work directory is written.
#
#   srv_start VARIANT TREE WORKDIR   -> starts, waits until it answers, sets SRV_URL
#                                       (port: $SRV_PORT if set, else a free one)
#   srv_stop_all                     -> stops every server started so far
#
# Variants:
#   nginx nginx-json                   nginx autoindex (html / autoindex_format json)
#   apache                             Debian's stock mod_autoindex setup
#                                      (FancyIndexing HTMLTable NameWidth=* ...)
#   apache-plain                       IndexOptions -FancyIndexing (<ul> list)
#   apache-pre                         FancyIndexing without HTMLTable (<pre> form)
#   apache-trunc                       upstream httpd default: FancyIndexing HTMLTable
#                                      VersionSort, no NameWidth=* -> names cut at 23 chars
#   lighttpd caddy python rclone
#   miniserve                          miniserve (crates.io), default options
#   mini_httpd                         mini_httpd (Debian mini-httpd), -D
#   serve http-server                  npm serve / http-server, default options
#   webfsd                             webfsd (Debian webfs), -F
#   twisted                            twistd web --path (Debian python3-twisted)
#   webrick                            ruby -run -e httpd (Debian ruby-webrick)
#   plack                              plackup + Plack::App::Directory (Debian libplack-perl)
#   moto                               moto_server (PyPI moto[server]), an S3 imitation:
#                                      the tree uploaded into bucket `tree`
#                                      (scripts/interop/seed_bucket.py), SRV_URL its
#                                      path-style URL; its request log counts bodies
#   azurite                            azurite-blob (npm azurite), an Azure Blob imitation:
#                                      the tree uploaded into container `ctr` (public),
#                                      SRV_URL its List Blobs URL; its access log
#                                      counts bodies
#   wsgidav                            WsgiDAV (PyPI wsgidav + cheroot, in the moto venv),
#                                      anonymous; read with --webdav (srv_client_args);
#                                      its request log counts bodies
#   rclone-webdav                      rclone serve webdav (Debian rclone), read with
#                                      --webdav; its -v log counts bodies
#   nginx-fancyindex                   nginx with Debian's fancyindex module, its defaults;
#                                      its access log counts bodies
#   dufs                               dufs (crates.io), defaults; links drawn by script
#                                      from JSON in the page; its --log-file counts bodies
#   copyparty                          copyparty (PyPI), the tree as a read-only volume;
#                                      fetchall gets its plain-text listing and asks
#                                      `?ls`; its log file (-lo) counts bodies
#   h5ai                               h5ai 0.30.0 (scripts/interop/h5ai/, built from its
#                                      repository) under Apache + mod_php (Debian
#                                      libapache2-mod-php), in a copy of the tree;
#                                      fetchall POSTs for each folder's items; Apache's
#                                      access log counts bodies
#   pyftpdlib                          pyftpdlib (PyPI, in the moto venv), anonymous FTP,
#                                      read-only; MLSD; its log counts RETRs
#   vsftpd                             vsftpd (Debian), anonymous FTP from a generated
#                                      config; no MLSD, so LIST (ls -l lines); its
#                                      log counts DOWNLOADs
#   vsftpd-ftps                        the same with explicit FTPS required (AUTH TLS for
#                                      the login and every data connection), a
#                                      self-signed certificate made at start, given to
#                                      fetchall with --cacert (srv_client_args)
#
# miniserve, serve and http-server are not Debian packages: they live in the
# cache folder of scripts/install-interop-servers.sh ($FETCHALL_TOOLS_DIR,
# default ~/.cache/fetchall-interop), pinned there.

# lighttpd 1.4.69 keeps the files it served open (fd cache, evicted lazily):
# with the common soft limit of 1024 open files, a fast client crawling the
# 2,000-file directory gets "403 Forbidden" after ~1,000 files. Raise our soft
# limit (inherited by every server we start) to the hard limit.
srv_raise_nofile() {
    local hard
    hard=$(ulimit -Hn 2>/dev/null) || return 0
    [ "$hard" = unlimited ] && hard=1048576
    [ "$hard" -gt 65536 ] 2>/dev/null && hard=65536
    ulimit -n "$hard" 2>/dev/null || true
}
srv_raise_nofile

SRV_PIDS=()
SRV_NAMES=()
SRV_URL=""
SRV_WORK=""
# Extra curl options to tell that a server answers (vsftpd-ftps: TLS required).
SRV_CURL_OPTS=()

srv_free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Map a variant to the binary it needs (for install checks).
srv_binary() {
    case "$1" in
        nginx|nginx-json|nginx-fancyindex) echo nginx ;;
        dufs) echo dufs ;;
        apache*) echo apache2 ;;
        lighttpd) echo lighttpd ;;
        caddy) echo caddy ;;
        rclone) echo rclone ;;
        python) echo python3 ;;
        miniserve) echo miniserve ;;
        mini_httpd) echo mini_httpd ;;
        serve) echo serve ;;
        http-server) echo http-server ;;
        webfsd) echo webfsd ;;
        twisted) echo twistd3 ;;
        webrick) echo ruby ;;
        plack) echo plackup ;;
        moto) echo moto_server ;;
        wsgidav) echo wsgidav ;;
        rclone-webdav) echo rclone ;;
        copyparty) echo copyparty ;;
        azurite) echo azurite-blob ;;
        h5ai|dirlister) echo apache2 ;;
        pyftpdlib) echo pyftpdlib ;;
        vsftpd|vsftpd-ftps) echo vsftpd ;;
        *) return 1 ;;
    esac
}

SRV_TOOLS=${FETCHALL_TOOLS_DIR:-${HOME:-/root}/.cache/fetchall-interop}

# Where a variant comes from: "debian PKG..." or "cache TOOL" (installed by
# scripts/install-interop-servers.sh TOOL).
srv_source() {
    case "$1" in
        miniserve) echo "cache miniserve" ;;
        serve|http-server|azurite) echo "cache npm" ;;
        moto|wsgidav) echo "cache moto" ;;
        copyparty) echo "cache copyparty" ;;
        h5ai|dirlister) echo "debian apache2 libapache2-mod-php" ;;
        dufs) echo "cache dufs" ;;
        nginx-fancyindex) echo "debian nginx libnginx-mod-http-fancyindex" ;;
        pyftpdlib) echo "cache pyftpdlib" ;;
        webrick) echo "debian ruby ruby-webrick" ;;
        *) echo "debian $(srv_package "$(srv_binary "$1")")" ;;
    esac
}

# Is everything the variant needs installed?
srv_available() {
    _srv_path "$(srv_binary "$1")" >/dev/null 2>&1 || return 1
    case "$1" in
        # ruby alone is not enough: WEBrick left the standard library in Ruby 3.0
        webrick) ruby -e 'require "webrick"' >/dev/null 2>&1 || return 1 ;;
        plack) perl -MPlack::App::Directory -e 1 >/dev/null 2>&1 || return 1 ;;
        h5ai|dirlister) _srv_mod_php >/dev/null || return 1 ;;
        nginx-fancyindex) [ -f /usr/lib/nginx/modules/ngx_http_fancyindex_module.so ] || return 1 ;;
    esac
}

# Debian package that provides a binary.
srv_package() {
    case "$1" in
        nginx) echo nginx ;;
        apache2) echo apache2 ;;
        lighttpd) echo lighttpd ;;
        caddy) echo caddy ;;
        rclone) echo rclone ;;
        python3) echo python3 ;;
        mini_httpd) echo mini-httpd ;;
        webfsd) echo webfs ;;
        twistd3) echo python3-twisted ;;
        ruby) echo ruby ;;
        plackup) echo libplack-perl ;;
        vsftpd) echo vsftpd ;;
        *) return 1 ;;
    esac
}

_srv_path() {
    # Servers live in /usr/sbin, which is not on every user's PATH.
    local b=$1
    # The pinned moto of the cache folder, never another on PATH (a moto 5.2.1
    # answers 404 for the key `semi;colon.txt` it stored).
    # pyftpdlib has no script of its own: the venv's python runs it as a module.
    if [ "$b" = pyftpdlib ]; then
        "$SRV_TOOLS/moto/bin/python" -c 'import pyftpdlib' >/dev/null 2>&1 \
            && { echo "$SRV_TOOLS/moto/bin/python"; return 0; }
        return 1
    fi
    if [ "$b" = moto_server ] || [ "$b" = wsgidav ] || [ "$b" = copyparty ]; then
        [ -x "$SRV_TOOLS/moto/bin/$b" ] && { echo "$SRV_TOOLS/moto/bin/$b"; return 0; }
        return 1
    fi
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    for d in /usr/sbin /sbin /usr/local/sbin "$SRV_TOOLS/bin" "$SRV_TOOLS/npm/node_modules/.bin"; do
        [ -x "$d/$b" ] && { echo "$d/$b"; return 0; }
    done
    return 1
}

srv_version() {
    case "$1" in
        nginx-fancyindex) echo "$("$(_srv_path nginx)" -v 2>&1 | head -n1), fancyindex $(dpkg-query -W -f '${Version}' libnginx-mod-http-fancyindex 2>/dev/null)" ;;
        nginx*) "$(_srv_path nginx)" -v 2>&1 | head -n1 ;;
        apache*) "$(_srv_path apache2)" -v 2>&1 | head -n1 ;;
        lighttpd) "$(_srv_path lighttpd)" -v 2>&1 | head -n1 ;;
        caddy) echo "caddy $(caddy version 2>&1 | head -n1)" ;;
        rclone|rclone-webdav) rclone version 2>&1 | head -n1 ;;
        wsgidav) echo "WsgiDAV $("$SRV_TOOLS/moto/bin/python" -c \
            'import importlib.metadata as m; print(m.version("wsgidav"), "cheroot", m.version("cheroot"))' 2>&1)" ;;
        python) python3 --version 2>&1 ;;
        miniserve) "$(_srv_path miniserve)" --version 2>&1 | head -n1 ;;
        mini_httpd) "$(_srv_path mini_httpd)" -V 2>&1 | head -n1 ;;
        serve) echo "serve $(_srv_npm_version serve)" ;;
        http-server) echo "http-server $(_srv_npm_version http-server)" ;;
        webfsd) echo "webfs $(dpkg-query -W -f '${Version}' webfs 2>/dev/null)" ;;
        twisted) echo "TwistedWeb $(/usr/bin/python3 -c 'import twisted; print(twisted.__version__)' 2>&1)" ;;
        webrick) ruby -e 'require "webrick"; puts "WEBrick #{WEBrick::VERSION} (Ruby #{RUBY_VERSION})"' 2>&1 ;;
        plack) perl -MPlack -e 'print "Plack $Plack::VERSION (HTTP::Server::PSGI)\n"' 2>&1 ;;
        azurite) echo "azurite $(_srv_npm_version azurite)" ;;
        moto) echo "moto $("$SRV_TOOLS/moto/bin/python" -c \
            'import importlib.metadata as m; print(m.version("moto"))' 2>&1)" ;;
        copyparty) echo "copyparty $("$SRV_TOOLS/moto/bin/python" -c \
            'import importlib.metadata as m; print(m.version("copyparty"))' 2>&1)" ;;
        h5ai) echo "h5ai 0.30.0, $("$(_srv_path apache2)" -v 2>&1 | head -n1), $(basename "$(_srv_mod_php)")" ;;
        dirlister) echo "Directory Lister 2.7.1, $("$(_srv_path apache2)" -v 2>&1 | head -n1), $(basename "$(_srv_mod_php)")" ;;
        dufs) "$(_srv_path dufs)" --version 2>&1 | head -n1 ;;
        pyftpdlib) echo "pyftpdlib $("$SRV_TOOLS/moto/bin/python" -c \
            'import importlib.metadata as m; print(m.version("pyftpdlib"))' 2>&1)" ;;
        vsftpd*) echo "vsftpd $(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null)" ;;
    esac
}

_srv_npm_version() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
        "$SRV_TOOLS/npm/node_modules/$1/package.json" 2>/dev/null || echo "?"
}

# User that privilege-dropping servers (apache, nginx workers) run as when we are root.
_srv_unpriv_user() {
    if id www-data >/dev/null 2>&1; then echo www-data; else echo nobody; fi
}
_srv_unpriv_group() {
    if getent group www-data >/dev/null 2>&1; then echo www-data; else echo nogroup; fi
}

_srv_wait() {
    # _srv_wait URL PID WORKDIR: wait until URL answers 2xx; on failure show the logs
    local url=$1 pid=$2 w=$3 i why
    for i in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then why="server exited early"; break; fi
        if curl "${SRV_CURL_OPTS[@]}" -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        why="server did not answer 2xx on $url within 10s ($(curl -s -o /dev/null -w 'HTTP %{http_code}' --max-time 2 "$url" 2>/dev/null))"
        sleep 0.1
    done
    echo "$why; logs:" >&2
    local f
    for f in "$w"/*.log; do
        [ -s "$f" ] || continue
        echo "  $f:" >&2
        tail -n 15 "$f" | sed 's/^/    /' >&2
    done
    return 1
}

_apache_conf() {
    # _apache_conf VARIANT TREE W PORT
    local variant=$1 tree=$2 w=$3 port=$4 opts
    local mods=/usr/lib/apache2/modules
    {
        cat <<CONF
# generated by scripts/interop/servers.sh ($variant)
ServerRoot "$w"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$w/apache.pid"
DefaultRuntimeDir "$w"
Mutex file:$w default
ErrorLog "$w/apache-error.log"
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule alias_module $mods/mod_alias.so
LoadModule dir_module $mods/mod_dir.so
LoadModule mime_module $mods/mod_mime.so
LoadModule autoindex_module $mods/mod_autoindex.so
CustomLog "$w/apache-access.log" "%h %t \"%r\" %>s %b"
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
CONF
        if [ "$(id -u)" = 0 ]; then
            echo "User $(_srv_unpriv_user)"
            echo "Group $(_srv_unpriv_group)"
        fi
        # Debian's stock module configs: mime types, autoindex icons,
        # IndexOptions, IndexIgnore (.??* hides dotfiles!), etc.
        echo 'Include /etc/apache2/mods-available/mime.conf'
        echo 'Include /etc/apache2/mods-available/autoindex.conf'
        case "$variant" in
            apache) opts="" ;;   # Debian default: FancyIndexing VersionSort HTMLTable NameWidth=* DescriptionWidth=* Charset=UTF-8
            # Non-incremental IndexOptions replace the inherited flags (an
            # incremental "-FancyIndexing" did not turn fancy indexing off in
            # 2.4.x here), but NameWidth/DescriptionWidth are inherited
            # separately, so they are set explicitly.
            apache-plain) opts="IndexOptions None" ;;
            apache-pre) opts="IndexOptions FancyIndexing VersionSort NameWidth=* DescriptionWidth=* Charset=UTF-8" ;;
            apache-trunc)
                # upstream httpd's extra/httpd-autoindex.conf has no NameWidth,
                # so the built-in default (23 chars) applies
                opts="IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=23 DescriptionWidth=23 Charset=UTF-8" ;;
        esac
        cat <<CONF
DocumentRoot "$tree"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$tree">
    Options Indexes
    AllowOverride None
    Require all granted
    # list directories even if they contain index.html
    DirectoryIndex disabled
    $opts
</Directory>
CONF
    } >"$w/apache.conf"
}

# Debian's PHP module for Apache (libapache2-mod-php), whatever PHP version.
_srv_mod_php() {
    local so
    for so in /usr/lib/apache2/modules/libphp*.so; do
        [ -e "$so" ] && { echo "$so"; return 0; }
    done
    return 1
}

_apache_php_conf() {
    # _apache_php_conf VARIANT DOCROOT W PORT INDEX...: Apache (prefork, mod_php)
    # serving DOCROOT, folders answered by DirectoryIndex INDEX...
    local variant=$1 docroot=$2 w=$3 port=$4
    shift 4
    local mods=/usr/lib/apache2/modules
    {
        cat <<CONF
# generated by scripts/interop/servers.sh ($variant)
ServerRoot "$w"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$w/apache.pid"
DefaultRuntimeDir "$w"
Mutex file:$w default
ErrorLog "$w/apache-error.log"
LogLevel warn
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dir_module $mods/mod_dir.so
LoadModule mime_module $mods/mod_mime.so
LoadModule php_module $(_srv_mod_php)
CustomLog "$w/apache-access.log" "%h %t \"%r\" %>s %b"
StartServers 2
MaxRequestWorkers 16
CONF
        if [ "$(id -u)" = 0 ]; then
            echo "User $(_srv_unpriv_user)"
            echo "Group $(_srv_unpriv_group)"
        fi
        # --server-tz: PHP reads no TZ, only its date.timezone setting
        [ -n "${TZ:-}" ] && echo "php_admin_value date.timezone \"$TZ\""
        cat <<CONF
Include /etc/apache2/mods-available/mime.conf
<FilesMatch "\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
DocumentRoot "$docroot"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$docroot">
    Options None
    AllowOverride None
    Require all granted
    DirectoryIndex $*
</Directory>
CONF
    } >"$w/apache.conf"
}

# srv_start VARIANT TREE WORKDIR
srv_start() {
    local variant=$1 tree=$2 w=$3/$1 port pid log bin
    SRV_WORK=$3
    mkdir -p "$w"
    chmod 755 "$w"
    port=${SRV_PORT:-$(srv_free_port)}
    log="$w/server.log"
    SRV_CURL_OPTS=()
    SRV_URL="http://127.0.0.1:$port/"
    case "$variant" in
        nginx|nginx-json|nginx-fancyindex)
            bin=$(_srv_path nginx) || return 1
            local fmt=html
            [ "$variant" = nginx-json ] && fmt=json
            # fancyindex (Debian libnginx-mod-http-fancyindex) with its defaults:
            # sizes rounded (fancyindex_exact_size on... is not its default), GMT
            local modline="" listing="autoindex on;
        autoindex_format $fmt;"
            if [ "$variant" = nginx-fancyindex ]; then
                modline="load_module /usr/lib/nginx/modules/ngx_http_fancyindex_module.so;"
                listing="fancyindex on;"
            fi
            local userline=""
            [ "$(id -u)" = 0 ] && userline="user $(_srv_unpriv_user) $(_srv_unpriv_group);"
            mkdir -p "$w/tmp"
            cat >"$w/nginx.conf" <<CONF
# generated by scripts/interop/servers.sh ($variant)
$userline
$modline
daemon off;
worker_processes 1;
pid $w/nginx.pid;
error_log $w/nginx-error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $w/nginx-access.log;
    client_body_temp_path $w/tmp/body;
    proxy_temp_path $w/tmp/proxy;
    fastcgi_temp_path $w/tmp/fastcgi;
    uwsgi_temp_path $w/tmp/uwsgi;
    scgi_temp_path $w/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        root $tree;
        # an index name that never exists, so every directory is listed
        index __fetchall_no_such_index__;
        $listing
    }
}
CONF
            "$bin" -p "$w" -c "$w/nginx.conf" -e "$w/nginx-error.log" >"$log" 2>&1 &
            ;;
        h5ai)
            bin=$(_srv_path apache2) || return 1
            # h5ai lists the folder its _h5ai/ stands in: a copy of the tree
            # (mtimes kept) with h5ai unpacked at its top, hidden by h5ai.
            rm -rf "$w/docroot"
            cp -a "$tree" "$w/docroot" || return 1
            python3 -m zipfile -e "$(dirname "${BASH_SOURCE[0]}")/h5ai/h5ai-0.30.0.zip" "$w/docroot" || return 1
            chmod -R a+rX "$w/docroot"
            if [ "$(id -u)" = 0 ]; then
                chown -R "$(_srv_unpriv_user)" "$w/docroot/_h5ai/public/cache" "$w/docroot/_h5ai/private/cache"
            fi
            # every folder without an index.html handed to h5ai, as its README says
            _apache_php_conf h5ai "$w/docroot" "$w" "$port" index.html index.htm /_h5ai/public/index.php
            # its own process group: prefork stops by signalling its whole group,
            # which would otherwise be this script's
            setsid "$bin" -f "$w/apache.conf" -DFOREGROUND >"$log" 2>&1 &
            ;;
        dirlister)
            bin=$(_srv_path apache2) || return 1
            # Directory Lister lists the folder its index.php stands in: a copy
            # of the tree (mtimes kept) with its script and resources/ (which
            # its config hides) at the top.
            local dl
            dl="$(dirname "${BASH_SOURCE[0]}")/dirlister/2.7.1"
            rm -rf "$w/docroot"
            cp -a "$tree" "$w/docroot" || return 1
            cp -r "$dl/index.php" "$dl/resources" "$w/docroot/" || return 1
            cp "$dl/resources/default.config.php" "$w/docroot/resources/config.php"
            chmod -R a+rX "$w/docroot"
            _apache_php_conf dirlister "$w/docroot" "$w" "$port" index.php
            setsid "$bin" -f "$w/apache.conf" -DFOREGROUND >"$log" 2>&1 &
            ;;
        apache*)
            bin=$(_srv_path apache2) || return 1
            _apache_conf "$variant" "$tree" "$w" "$port"
            # -DFOREGROUND: stay attached so we own the process
            "$bin" -f "$w/apache.conf" -DFOREGROUND >"$log" 2>&1 &
            ;;
        lighttpd)
            bin=$(_srv_path lighttpd) || return 1
            local userline=""
            [ "$(id -u)" = 0 ] && userline="server.username = \"$(_srv_unpriv_user)\"
server.groupname = \"$(_srv_unpriv_group)\""
            cat >"$w/lighttpd.conf" <<CONF
# generated by scripts/interop/servers.sh ($variant)
server.modules = ( "mod_indexfile", "mod_dirlisting", "mod_staticfile" )
server.document-root = "$tree"
server.bind = "127.0.0.1"
server.port = $port
# no server.errorlog: errors go to stderr (server.log); the file would be
# opened after dropping privileges (server.username) and fail
$userline
# no index file: always list directories
index-file.names = ( "__fetchall_no_such_index__" )
dir-listing.activate = "enable"
dir-listing.encoding = "utf-8"
include_shell "/usr/share/lighttpd/create-mime.conf.pl"
CONF
            "$bin" -D -f "$w/lighttpd.conf" >"$log" 2>&1 &
            ;;
        caddy)
            bin=$(_srv_path caddy) || return 1
            cat >"$w/Caddyfile" <<CONF
# generated by scripts/interop/servers.sh ($variant)
{
    admin off
    auto_https off
    storage file_system $w/caddy-storage
}
http://127.0.0.1:$port {
    bind 127.0.0.1
    root * $tree
    file_server browse {
        # an index name that never exists, so every directory is listed
        index __fetchall_no_such_index__
    }
}
CONF
            # keep caddy's autosave/data out of \$HOME
            HOME="$w" XDG_CONFIG_HOME="$w/xdg-config" XDG_DATA_HOME="$w/xdg-data" \
                "$bin" run --config "$w/Caddyfile" --adapter caddyfile >"$log" 2>&1 &
            ;;
        rclone)
            bin=$(_srv_path rclone) || return 1
            : >"$w/rclone.conf"
            "$bin" serve http "$tree" --addr "127.0.0.1:$port" \
                --config "$w/rclone.conf" --cache-dir "$w/rclone-cache" >"$log" 2>&1 &
            ;;
        rclone-webdav)
            bin=$(_srv_path rclone) || return 1
            : >"$w/rclone.conf"
            # -v: one "PATH: GET from" line per request, which srv_body_requests counts
            "$bin" serve webdav "$tree" --addr "127.0.0.1:$port" -v \
                --config "$w/rclone.conf" --cache-dir "$w/rclone-cache" >"$log" 2>&1 &
            ;;
        wsgidav)
            bin=$(_srv_path wsgidav) || return 1
            # anonymous read access; its log has one '"GET /PATH"' line per request
            "$bin" --host 127.0.0.1 --port "$port" --root "$tree" --auth anonymous \
                --no-config >"$log" 2>&1 </dev/null &
            ;;
        python)
            bin=$(_srv_path python3) || return 1
            "$bin" -m http.server "$port" --bind 127.0.0.1 --directory "$tree" >"$log" 2>&1 &
            ;;
        miniserve)
            bin=$(_srv_path miniserve) || return 1
            # defaults: dotfiles hidden (no --hidden), no index file
            "$bin" --interfaces 127.0.0.1 --port "$port" "$tree" >"$log" 2>&1 </dev/null &
            ;;
        mini_httpd)
            bin=$(_srv_path mini_httpd) || return 1
            # -D: stay in the foreground. As root it would keep running as root
            # (it only warns); -u drops to an unprivileged user instead.
            local uopt=()
            [ "$(id -u)" = 0 ] && uopt=(-u nobody)
            "$bin" -D "${uopt[@]}" -h 127.0.0.1 -p "$port" -d "$tree" -l "$w/access.log" \
                -i "$w/mini_httpd.pid" >"$log" 2>&1 </dev/null &
            ;;
        serve)
            bin=$(_srv_path serve) || return 1
            # -n: no clipboard; -L: no request log; CI=true: no update check
            CI=true "$bin" -l "tcp://127.0.0.1:$port" -n -L --no-port-switching "$tree" \
                >"$log" 2>&1 </dev/null &
            ;;
        http-server)
            bin=$(_srv_path http-server) || return 1
            # defaults, but -c-1 (no Cache-Control max-age) and -s (no request log)
            CI=true "$bin" "$tree" -a 127.0.0.1 -p "$port" -c-1 -s >"$log" 2>&1 </dev/null &
            ;;
        webfsd)
            bin=$(_srv_path webfsd) || return 1
            # -F: foreground; runs as root unless told otherwise
            local uopt=()
            [ "$(id -u)" = 0 ] && uopt=(-u nobody -g "$(getent group nogroup >/dev/null && echo nogroup || echo nobody)")
            "$bin" -F -4 "${uopt[@]}" -i 127.0.0.1 -p "$port" -r "$tree" -n 127.0.0.1 \
                -l "$w/access.log" >"$log" 2>&1 </dev/null &
            ;;
        twisted)
            bin=$(_srv_path twistd3) || return 1
            # -n: foreground; no pid file; twistd's own log into the work dir
            (cd "$w" && exec "$bin" -n --pidfile= --logfile="$w/twistd.log" web \
                --listen "tcp:$port:interface=127.0.0.1" --path "$tree") >"$log" 2>&1 </dev/null &
            ;;
        webrick)
            bin=$(_srv_path ruby) || return 1
            # un.rb's httpd: WEBrick::HTTPServer with DocumentRoot, defaults otherwise
            "$bin" -run -e httpd -- "$tree" -p "$port" --bind-address=127.0.0.1 >"$log" 2>&1 </dev/null &
            ;;
        plack)
            bin=$(_srv_path plackup) || return 1
            # plackup's default server (HTTP::Server::PSGI); app = Plack::App::Directory
            FETCHALL_TREE="$tree" "$bin" -E deployment --host 127.0.0.1 --port "$port" \
                -MPlack::App::Directory -e 'Plack::App::Directory->new(root => $ENV{FETCHALL_TREE})->to_app' \
                >"$log" 2>&1 </dev/null &
            ;;
        moto)
            bin=$(_srv_path moto_server) || return 1
            # its request log (stderr) is what srv_body_requests counts
            "$bin" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
            ;;
        copyparty)
            bin=$(_srv_path copyparty) || return 1
            # -v DIR::r: the tree read-only for anyone; -q: no log on stdout, but
            # each request in the log file srv_body_requests reads. Its config
            # and TLS certificate go into the work dir, not $HOME.
            HOME="$w" XDG_CONFIG_HOME="$w/xdg-config" "$bin" -i 127.0.0.1 -p "$port" \
                -v "$tree::r" -q -lo "$w/requests.log" >"$log" 2>&1 </dev/null &
            ;;
        dufs)
            bin=$(_srv_path dufs) || return 1
            # defaults (read-only, dotfiles listed); each request in its log file,
            # which srv_body_requests reads
            "$bin" -b 127.0.0.1 -p "$port" --log-file "$w/requests.log" "$tree" \
                >"$log" 2>&1 </dev/null &
            ;;
        pyftpdlib)
            bin=$(_srv_path pyftpdlib) || return 1
            SRV_URL="ftp://127.0.0.1:$port/"
            # anonymous, read-only; its log (stderr) has one line per RETR
            "$bin" -m pyftpdlib -i 127.0.0.1 -p "$port" -d "$tree" >"$log" 2>&1 </dev/null &
            ;;
        vsftpd|vsftpd-ftps)
            bin=$(_srv_path vsftpd) || return 1
            SRV_URL="ftp://127.0.0.1:$port/"
            local tls=""
            if [ "$variant" = vsftpd-ftps ]; then
                # explicit FTPS (AUTH TLS) required for the login and all data;
                # no session reuse demanded of data connections (vsftpd's default
                # asks for it, which few clients give)
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
                    -addext subjectAltName=IP:127.0.0.1 -keyout "$w/key.pem" -out "$w/cert.pem" \
                    >"$w/openssl.log" 2>&1 || { tail -n 5 "$w/openssl.log" >&2; return 1; }
                tls="ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=$w/cert.pem
rsa_private_key_file=$w/key.pem"
                SRV_URL="ftps://127.0.0.1:$port/"
                SRV_CURL_OPTS=(--ssl-reqd --cacert "$w/cert.pem")
            fi
            # Its chroot folder must be empty and not writable; as root the
            # anonymous session runs as Debian's `ftp` user. No namespaces or
            # seccomp (they fail in containers). force_dot_files: `.hidden` is
            # listed like any file. Its own log: one "DOWNLOAD" line per RETR.
            mkdir -p "$w/empty"
            chmod 555 "$w/empty"
            cat >"$w/vsftpd.conf" <<CONF
# generated by scripts/interop/servers.sh ($variant)
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$tree
local_enable=NO
write_enable=NO
force_dot_files=YES
pasv_enable=YES
pasv_address=127.0.0.1
secure_chroot_dir=$w/empty
isolate=NO
isolate_network=NO
seccomp_sandbox=NO
xferlog_enable=YES
xferlog_std_format=NO
vsftpd_log_file=$w/vsftpd.log
utf8_filesystem=YES
$tls
CONF
            "$bin" "$w/vsftpd.conf" >"$log" 2>&1 </dev/null &
            ;;
        azurite)
            bin=$(_srv_path azurite-blob) || return 1
            # not --silent: its access log (stdout) is what srv_body_requests counts;
            # the SDK that seeds it may speak a newer API version than it knows
            "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$w/data" \
                --skipApiVersionCheck >"$log" 2>&1 </dev/null &
            ;;
        *)
            echo "unknown server variant: $variant" >&2
            return 1
            ;;
    esac
    pid=$!
    SRV_PIDS+=("$pid")
    SRV_NAMES+=("$variant")
    echo "$pid" >"$w/job.pid"
    if [ "$variant" = vsftpd-ftps ]; then
        # curl asks ftps:// as implicit TLS: the readiness check asks ftp:// with --ssl-reqd
        _srv_wait "ftp://127.0.0.1:$port/" "$pid" "$w" || return 1
        return 0
    fi
    if [ "$variant" = azurite ]; then
        # nothing answers 2xx without a signature before the container exists
        local i
        for i in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            curl -s -o /dev/null --max-time 2 "$SRV_URL" && break
            sleep 0.1
        done
        "$SRV_TOOLS/moto/bin/python" "$(dirname "${BASH_SOURCE[0]}")/seed_bucket.py" --azure \
            "${SRV_URL}devstoreaccount1" ctr "$tree" >>"$w/seed.log" 2>&1 \
            || { tail -n 5 "$w/seed.log" "$log" >&2; return 1; }
        SRV_URL="${SRV_URL}devstoreaccount1/ctr?restype=container&comp=list"
    fi
    _srv_wait "$SRV_URL" "$pid" "$w" || return 1
    case "$variant" in
        moto)
            python3 "$(dirname "${BASH_SOURCE[0]}")/seed_bucket.py" "$SRV_URL" tree "$tree" \
                >>"$w/seed.log" 2>&1 || { tail -n 5 "$w/seed.log" >&2; return 1; }
            SRV_URL="${SRV_URL}tree/"
            ;;
    esac
}

# srv_request_log VARIANT: the file where the running VARIANT logs each request,
# for servers whose log srv_body_requests reads; fails for the others.
srv_request_log() {
    case "$1" in
        moto) echo "$SRV_WORK/moto/server.log" ;;
        azurite) echo "$SRV_WORK/azurite/server.log" ;;
        wsgidav) echo "$SRV_WORK/wsgidav/server.log" ;;
        rclone-webdav) echo "$SRV_WORK/rclone-webdav/server.log" ;;
        copyparty) echo "$SRV_WORK/copyparty/requests.log" ;;
        h5ai|dirlister) echo "$SRV_WORK/$1/apache-access.log" ;;
        dufs) echo "$SRV_WORK/dufs/requests.log" ;;
        nginx-fancyindex) echo "$SRV_WORK/nginx-fancyindex/nginx-access.log" ;;
        pyftpdlib) echo "$SRV_WORK/pyftpdlib/server.log" ;;
        vsftpd|vsftpd-ftps) echo "$SRV_WORK/$1/vsftpd.log" ;;
        *) return 1 ;;
    esac
}

# srv_body_requests VARIANT FROM_LINE: how many requests for a file body (a GET
# that is no listing) VARIANT logged from line FROM_LINE of its request log on.
srv_body_requests() {
    local log
    log=$(srv_request_log "$1") || return 1
    # moto: '"GET /tree/KEY HTTP/1.1" 200'; listings have a query or end in '/'
    # azurite: '"GET /devstoreaccount1/ctr/KEY HTTP/1.1" 200'
    # copyparty: '] GET  /KEY @*'
    # wsgidav: '"GET /PATH" depth=0, ...'; rclone-webdav: 'INFO  : /PATH: GET from'
    case "$1" in
        copyparty) tail -n "+$2" "$log" | grep -cE '\] GET +/[^? ]*[^/? ] @' || true ;;
        # h5ai (Apache): '"GET /PATH HTTP/1.1" 200'; folders end in '/', items are POSTs
        # Directory Lister: its pages are '/?dir=…'
        h5ai|dirlister) tail -n "+$2" "$log" | grep -cE '"GET /[^? ]*[^/? ] HTTP/[0-9.]+" 20[06]' || true ;;
        wsgidav) tail -n "+$2" "$log" | grep -cE '"GET /[^"]*[^/"]"' || true ;;
        rclone-webdav) tail -n "+$2" "$log" | grep -cE ' : /.*[^/]: GET from ' || true ;;
        # dufs: '"GET /PATH" 200'
        dufs) tail -n "+$2" "$log" | grep -cE '"GET /[^"?]*[^/"?]" ' || true ;;
        # nginx: '"GET /PATH HTTP/1.1" 200'
        nginx-fancyindex) tail -n "+$2" "$log" | grep -cE '"GET /[^ ?]*[^/ ?] HTTP' || true ;;
        # pyftpdlib: '... RETR /PATH completed=1 bytes=N ...'; vsftpd: 'OK DOWNLOAD: ...'
        pyftpdlib) tail -n "+$2" "$log" | grep -cE ' RETR ' || true ;;
        vsftpd|vsftpd-ftps) tail -n "+$2" "$log" | grep -cE ' DOWNLOAD: ' || true ;;
        *) tail -n "+$2" "$log" | grep -cE '"GET /(tree|devstoreaccount1/ctr)/[^? ]*[^/? ] HTTP' || true ;;
    esac
}

# srv_client_args VARIANT: the fetchall options VARIANT is read with (one a line).
srv_client_args() {
    case "$1" in
        wsgidav|rclone-webdav) echo --webdav ;;
        vsftpd-ftps) printf '%s\n' --cacert "$SRV_WORK/vsftpd-ftps/cert.pem" ;;
    esac
}

srv_stop_all() {
    local i pid
    for i in "${!SRV_PIDS[@]}"; do
        pid=${SRV_PIDS[$i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for i in "${!SRV_PIDS[@]}"; do
        pid=${SRV_PIDS[$i]}
        local n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    SRV_PIDS=()
    SRV_NAMES=()
}
