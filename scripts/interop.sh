#!/usr/bin/env bash
# Interop suite: run fetchall against real web servers' directory listings.
#
# Usage: scripts/interop.sh [--servers LIST] [--modes LIST] [--keep] [--no-install]
#                           [--timeout SECS] [--list]
#
#   --servers LIST  comma-separated server variants (default: all of
#                   nginx,nginx-json,apache,apache-plain,lighttpd,caddy,python,rclone,
#                   miniserve,mini_httpd,serve,http-server,webfsd,twisted,webrick,plack,
#                   moto,azurite,wsgidav,rclone-webdav,copyparty,h5ai,dirlister,dufs,
#                   nginx-fancyindex,pyftpdlib,vsftpd,vsftpd-ftps)
#   --modes LIST    flat,recursive (default: both), or resync: recursive, then
#                   again with --json into the same folder, which must start no
#                   transfer (every file up to date by the listing alone)
#   --server-tz TZ  run the servers (and everything else) with TZ set, e.g.
#                   Asia/Kolkata: listings in local time without a zone
#   --keep          keep the temp dir (tree, server configs/logs, outputs)
#   --no-install    install nothing (no apt-get, no scripts/install-interop-servers.sh);
#                   servers that are missing are SKIPped
#   --build         run `cargo build --release` first even if the binary exists
#   --timeout SECS  limit for one fetchall run (default 60)
#   --list          print the server variants and exit
#
# Environment:
#   FETCHALL   client under test (default: release/fetchall in $CARGO_TARGET_DIR or
#              target/, built with `cargo build --release` when missing). Called as
#                $FETCHALL -q -o OUT URL         (flat)
#                $FETCHALL -q -r -o OUT URL      (recursive)
#              scripts/interop/reference_fetch.py is a stand-in that passes.
#
# For each server the tricky tree (scripts/interop/make_tree.py) is served on
# 127.0.0.1 with directory listings on, fetched, and compared byte for byte
# with what that server lists (scripts/interop/compare.py). Object stores
# (moto, azurite) hold the tree as a bucket, WebDAV servers (wsgidav,
# rclone-webdav) serve it read with --webdav, copyparty and dufs list
# it by script, h5ai and Directory Lister (PHP, under Apache + mod_php) in a
# copy of the tree with the application at its top, nginx-fancyindex's access log
# is read too; for them the same command is run
# rclone-webdav) serve it read with --webdav, copyparty lists
# it by script, FTP servers (pyftpdlib, vsftpd) serve it as ftp:// (and vsftpd-ftps
# as ftps://, its certificate given with --cacert); for them the same command is run
# again and the file bodies the server sent on that re-run are counted: there
# must be none. Per-server exceptions are declared in expectations() below, each with the reason.
# Exits non-zero if any case fails (a server that cannot be installed or
# started counts as FAIL unless --no-install made it a SKIP).
# Needs no TTY or stdin; installs missing servers with apt-get when root, and
# miniserve, serve and http-server (pinned) into $FETCHALL_TOOLS_DIR (default
# ~/.cache/fetchall-interop) with scripts/install-interop-servers.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
lib="$here/interop"
# shellcheck source=scripts/interop/servers.sh
. "$lib/servers.sh"

ALL_SERVERS="nginx,nginx-json,apache,apache-plain,lighttpd,caddy,python,rclone,miniserve,mini_httpd,serve,http-server,webfsd,twisted,webrick,plack,moto,azurite,wsgidav,rclone-webdav,copyparty,h5ai,dirlister,dufs,nginx-fancyindex,pyftpdlib,vsftpd,vsftpd-ftps"
servers=$ALL_SERVERS
modes="flat,recursive"
keep=0
install=1
build=0
timeout_s=60

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --servers) servers=${2:?}; shift 2 ;;
        --servers=*) servers=${1#*=}; shift ;;
        --modes) modes=${2:?}; shift 2 ;;
        --modes=*) modes=${1#*=}; shift ;;
        --keep) keep=1; shift ;;
        --no-install) install=0; shift ;;
        --build) build=1; shift ;;
        --server-tz) export TZ=${2:?}; shift 2 ;;
        --timeout) timeout_s=${2:?}; shift 2 ;;
        --timeout=*) timeout_s=${1#*=}; shift ;;
        --list) tr ',' '\n' <<<"$ALL_SERVERS"; exit 0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
IFS=, read -r -a SERVERS <<<"$servers"
IFS=, read -r -a MODES <<<"$modes"
for s in "${SERVERS[@]}"; do
    srv_binary "$s" >/dev/null || { echo "unknown server variant: $s (see --list)" >&2; exit 2; }
done
for m in "${MODES[@]}"; do
    case "$m" in flat|recursive|resync) ;; *) echo "unknown mode: $m" >&2; exit 2 ;; esac
done

# ---------------------------------------------------------------------------
# Per-server expectations. Prints compare.py arguments for SERVER MODE.
# Everything the server serves and lists is expected; each exception here
# names a path that the server does not list, and why. Never a blanket pass.
#   --exclude P   not expected; if downloaded anyway it is an error
#   --optional P  may or may not be downloaded; if it is, it must be correct
#   --broken P    the server lists P under an href that does not lead to it
#                 (its own escaping bug: the URL names another path, which
#                 answers 404/400). Like --optional, and the client may exit 1
#                 for that failed link, but only if everything else compares
#                 clean.
# ---------------------------------------------------------------------------
expectations() {
    local server=$1 mode=$2
    args() { printf '%s\n' "$@"; }   # one compare.py argument per line
    case "$server" in
        nginx|nginx-json)
            # nginx autoindex never lists names starting with '.' (both formats).
            args --exclude .hidden ;;
        apache|apache-plain)
            # Debian's mods-available/autoindex.conf, which we include, has
            # "IndexIgnore .??* *~ *# RCS CVS *,v *,t": dotfiles, names ending
            # in '~' or '#' (including the directory "dir with space & #") are
            # not listed, although they are served.
            args --exclude .hidden --exclude 'backup.txt~' --exclude 'dir with space & #' ;;
        lighttpd)
            # mod_dirlisting: dir-listing.hide-dotfiles defaults to "enable".
            args --exclude .hidden ;;
        caddy)
            ;;  # lists everything, dotfiles included
        python)
            # http.server cannot be told to list a directory that contains
            # index.html: GET site/ returns site/index.html itself, so
            # site/page.txt is invisible. Whether the client saves that page
            # as site/index.html (same bytes as the real file) is its choice.
            if [ "$mode" = recursive ]; then
                args --exclude site/page.txt --optional site/index.html
            fi ;;
        rclone)
            ;;  # lists everything, dotfiles included
        miniserve)
            # miniserve hides dotfiles unless started with --hidden (it also
            # answers 400 for them). Links are absolute paths (/a/), properly
            # escaped: everything else must come through.
            args --exclude .hidden ;;
        mini_httpd)
            # Lists dotfiles. For a directory that holds index.html it serves
            # that file (index.html/index.htm/index.cgi are built in), so
            # site/page.txt is invisible, as with python. Folder links have
            # no trailing slash (href="a"): a redirect to a/ tells they are
            # folders; nothing to exempt there. Its Location is not escaped
            # ("/dir with space & #/", raw UTF-8), but the href is right and
            # the folder is served at href + "/": not exempt either.
            if [ "$mode" = recursive ]; then
                args --exclude site/page.txt --optional site/index.html
            fi ;;
        serve)
            # serve (serve-handler) writes each href as the raw name with only
            # HTML escaping, no percent-encoding. For these names that makes
            # the href name another path, so no client can reach them from
            # the listing:
            #   hash#name.txt        href /hash#name.txt -> /hash + fragment (404)
            #   question?mark.txt    href /question?mark.txt -> /question + query (404)
            #   %41.txt              href /%41.txt = /A.txt (404)
            #   percent%20literal.txt  href /percent%20literal.txt = "percent literal.txt" (404)
            #   dir with space & #/  href cut at '#' -> "/dir with space & " (404)
            # NOT exempt: 100%.txt (href /100%.txt: a '%' without two hex
            # digits is a literal '%', so /100%25.txt fetches it), spaces,
            # UTF-8, quotes, '<' '>' (raw characters a client must escape).
            # serve also answers site/ with site/index.html (no listing).
            args --broken 'hash#name.txt' --broken 'question?mark.txt' --broken '%41.txt' \
                 --broken 'percent%20literal.txt'
            if [ "$mode" = recursive ]; then
                args --broken 'dir with space & #' --exclude site/page.txt --optional site/index.html
            fi ;;
        http-server)
            # Lists dotfiles. Its default "autoIndex" serves site/index.html
            # for site/, so site/page.txt is invisible (as with python).
            if [ "$mode" = recursive ]; then
                args --exclude site/page.txt --optional site/index.html
            fi ;;
        webfsd)
            ;;  # lists everything, dotfiles included (no index file unless -f)
        twisted)
            # twisted.web.static.File lists dotfiles, but serves site/index.html
            # for site/ (its index names are index, index.html; --index only
            # adds names). It serves archive.tar.gz with Content-Encoding: gzip
            # (mimetypes' encoding map): the file must still be saved as the
            # bytes sent, i.e. the .tar.gz itself -- no exception for that.
            if [ "$mode" = recursive ]; then
                args --exclude site/page.txt --optional site/index.html
            fi ;;
        webrick)
            # WEBrick's FileHandler: NondisclosureName [".ht*", "*~"] hides
            # (and answers 404 for) backup.txt~. Its listing escapes names with
            # a set that leaves '?' raw: href="question?mark.txt" is the path
            # "question" with query "mark.txt" (404). It serves site/index.html
            # for site/ (DirectoryIndex index.html index.htm index.cgi index.rhtml).
            # WEBrick 1.8.1 also answers the listing of déjà-vu/ with 500
            # "incompatible character encodings: ASCII-8BIT and UTF-8"
            # (filehandler.rb set_dir_list: the request path is binary, the
            # file names UTF-8; LANG=C.UTF-8 does not help), so nothing below
            # it can be found.
            args --exclude 'backup.txt~' --broken 'question?mark.txt'
            if [ "$mode" = recursive ]; then
                args --exclude site/page.txt --optional site/index.html --broken 'déjà-vu'
            fi ;;
        plack)
            ;;  # Plack::App::Directory lists everything, absolute hrefs (/a/)
        moto|azurite)
            ;;  # a bucket (container) lists every key, with exact sizes and times
        wsgidav|rclone-webdav)
            ;;  # PROPFIND lists every entry, dotfiles included, exact sizes and times
        copyparty)
            # copyparty hides dotfiles unless a volume has the `dots` flag.
            args --exclude .hidden ;;
        h5ai)
            # h5ai's options.json hides names matching ^\. (and its own _h5ai).
            # A folder holding index.html is "unmanaged": h5ai lists it but
            # leaves it to the web server, whose DirectoryIndex answers site/
            # with site/index.html itself, so site/page.txt is listed nowhere.
            args --exclude .hidden
            if [ "$mode" = recursive ]; then
                args --exclude site/page.txt --optional site/index.html
            fi ;;
        dirlister)
            # Directory Lister's hide_dot_files (on by default) hides .hidden.
            args --exclude .hidden ;;
        dufs)
            ;;  # its page embeds every entry as JSON, dotfiles included
        nginx-fancyindex)
            # fancyindex, like autoindex, never lists names starting with '.'.
            args --exclude .hidden ;;
        pyftpdlib)
            ;;  # MLSD lists every entry, dotfiles included, exact sizes and times
        vsftpd|vsftpd-ftps)
            ;;  # LIST (force_dot_files=YES) lists every entry; exact sizes, minute/day times
    esac
}

log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------------------
# Install missing tools (Debian). Auto-start of services is blocked with a
# temporary policy-rc.d, and anything Debian started anyway is stopped and
# disabled, so nothing keeps port 80 or runs after this script.
# ---------------------------------------------------------------------------
created_policy=0
policy_sudo=""

cleanup_policy() {
    if [ "$created_policy" = 1 ]; then $policy_sudo rm -f /usr/sbin/policy-rc.d; created_policy=0; fi
}

ensure_tools() {
    local need_pkgs=() need_cache=() s p src
    declare -A want=() want_cache=()
    command -v curl >/dev/null 2>&1 || want[curl]=1
    command -v python3 >/dev/null 2>&1 || want[python3]=1
    for s in "${SERVERS[@]}"; do
        srv_available "$s" && continue
        read -r -a src <<<"$(srv_source "$s")"
        if [ "${src[0]}" = cache ]; then
            want_cache[${src[1]}]=1
        else
            for p in "${src[@]:1}"; do want[$p]=1; done
        fi
    done
    need_pkgs=("${!want[@]}")
    need_cache=("${!want_cache[@]}")
    if [ ${#need_cache[@]} -gt 0 ]; then
        if [ "$install" = 0 ]; then
            log "not installing (--no-install): ${need_cache[*]} (scripts/install-interop-servers.sh)"
        else
            # pinned versions, cached in $FETCHALL_TOOLS_DIR; the first
            # miniserve build takes minutes
            "$here/install-interop-servers.sh" "${need_cache[@]}" \
                || log "scripts/install-interop-servers.sh ${need_cache[*]} failed: those servers will FAIL"
        fi
    fi
    [ ${#need_pkgs[@]} -eq 0 ] && return 0
    if [ "$install" = 0 ]; then
        log "not installing (--no-install): ${need_pkgs[*]}"
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            log "missing ${need_pkgs[*]} and not root (no passwordless sudo): those servers will FAIL"
            return 0
        fi
    fi
    log "installing: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        # exit 101 = "action forbidden": invoke-rc.d/deb-systemd-invoke won't start services
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
        policy_sudo=$sudo
    fi
    local aptlog
    aptlog=$(mktemp)
    $sudo apt-get update -qq >"$aptlog" 2>&1 || log "apt-get update failed (continuing): $(tail -n 3 "$aptlog")"
    if ! $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >>"$aptlog" 2>&1; then
        # one at a time, so one unavailable package (e.g. rclone) does not block the rest
        for p in "${need_pkgs[@]}"; do
            $sudo apt-get install -y -qq --no-install-recommends "$p" >>"$aptlog" 2>&1 \
                || log "apt-get install $p failed: $(tail -n 2 "$aptlog")"
        done
    fi
    rm -f "$aptlog"
    cleanup_policy
    # In case a service of a package we just installed got started anyway
    # (policy-rc.d not honoured, systemd presets...): stop and disable it.
    # Services of packages that were already installed are left alone.
    local svc svcs=()
    for p in "${need_pkgs[@]}"; do
        case "$p" in
            apache2) svcs+=(apache2 apache-htcacheclean) ;;
            nginx|lighttpd|caddy) svcs+=("$p") ;;
            mini-httpd) svcs+=(mini-httpd) ;;
            webfs) svcs+=(webfs) ;;
            vsftpd) svcs+=(vsftpd) ;;
        esac
    done
    for svc in "${svcs[@]}"; do
        if [ -e "/etc/init.d/$svc" ] || [ -e "/lib/systemd/system/$svc.service" ]; then
            if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
                $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
            else
                $sudo service "$svc" stop >/dev/null 2>&1 || true
            fi
        fi
    done
}

# ---------------------------------------------------------------------------
work=""
results=()   # "server|mode|STATUS|detail"
any_fail=0

on_exit() {
    srv_stop_all
    cleanup_policy
    if [ -n "$work" ] && [ -d "$work" ]; then
        if [ "$keep" = 1 ]; then log "kept: $work"; else rm -rf "$work"; fi
    fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

start_time=$(date +%s)
ensure_tools
for t in curl python3; do
    command -v "$t" >/dev/null 2>&1 || { log "$t is required"; exit 1; }
done

# Client under test
if [ -z "${FETCHALL:-}" ]; then
    FETCHALL="${CARGO_TARGET_DIR:-$repo/target}/release/fetchall"
    if [ ! -x "$FETCHALL" ] || [ "$build" = 1 ]; then
        log "building fetchall (cargo build --release)"
        (cd "$repo" && cargo build --release -q) || { log "cargo build --release failed"; exit 1; }
    fi
fi
fetchall_cmd=()
read -r -a fetchall_cmd <<<"$FETCHALL"   # allows e.g. FETCHALL="python3 x.py"
if ! command -v "${fetchall_cmd[0]}" >/dev/null 2>&1 && [ ! -x "${fetchall_cmd[0]}" ]; then
    log "FETCHALL not executable: $FETCHALL"; exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fetchall-interop.XXXXXX")
chmod 755 "$work"   # apache/nginx/lighttpd workers run as www-data when we are root
tree="$work/tree"
python3 "$lib/make_tree.py" "$tree" || { log "make_tree.py failed"; exit 1; }
if [ "$(id -u)" = 0 ] && id www-data >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
    runuser -u www-data -- test -r "$tree/plain.txt" 2>/dev/null \
        || log "warning: www-data cannot read $tree (check permissions of ${TMPDIR:-/tmp}); apache/nginx/lighttpd will fail"
fi

# The second run of `resync`: the same tree again into OUT must send no request for
# a file (an `up_to_date` with an id was asked, e.g. a 304), only the listings (and
# at most one HEAD per host, to learn a zone-less listing's offset).
resync_check() {
    local server=$1 out=$2 url=$3 detail=$4 broken=${5:-0} events counts
    events="$work/out/$server-resync.json"
    local client_args
    mapfile -t client_args < <(srv_client_args "$server")
    timeout --kill-after=10 "$timeout_s" "${fetchall_cmd[@]}" "${client_args[@]}" --json -r -o "$out" "$url" \
        >"$events" 2>"$work/out/$server-resync.log"
    counts=$(python3 -c '
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
kind = lambda name: [e for e in events if e.get("event") == name]
unasked = sum(1 for e in kind("up_to_date") if e.get("id") is None)
asked = len(kind("up_to_date")) - unasked + len(kind("downloaded"))
print(asked, unasked, len(kind("failed")))' "$events")
    read -r asked unasked failed <<<"$counts"
    detail="$detail; re-run: $unasked up to date unasked, $asked asked, $failed failed"
    # A server's broken links (declared in expectations) fail again; nothing else may.
    if [ "$asked" = 0 ] && [ "$unasked" -gt 0 ] && [ "$failed" -le "$broken" ]; then
        add_result "$server" resync PASS "$detail"
    else
        add_result "$server" resync FAIL "$detail"
    fi
}

add_result() { results+=("$1|$2|$3|$4"); [ "$3" = FAIL ] && any_fail=1; }

for server in "${SERVERS[@]}"; do
    if ! srv_available "$server"; then
        status=FAIL; [ "$install" = 0 ] && status=SKIP
        for mode in "${MODES[@]}"; do add_result "$server" "$mode" "$status" "not installed ($(srv_source "$server"))"; done
        continue
    fi
    log "== $server ($(srv_version "$server"))"
    if ! srv_start "$server" "$tree" "$work/srv"; then
        for mode in "${MODES[@]}"; do add_result "$server" "$mode" FAIL "server did not start (logs above)"; done
        srv_stop_all
        continue
    fi
    url=$SRV_URL
    for mode in "${MODES[@]}"; do
        out="$work/out/$server-$mode"
        mkdir -p "$work/out"
        args=(-q)
        [ "$mode" = flat ] || args+=(-r)
        mapfile -t client_args < <(srv_client_args "$server")
        args+=("${client_args[@]}")
        t0=$(date +%s.%N)
        timeout --kill-after=10 "$timeout_s" "${fetchall_cmd[@]}" "${args[@]}" -o "$out" "$url" \
            >"$work/out/$server-$mode.log" 2>&1
        rc=$?
        secs=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
        cmp_args=(--max-list 15)
        [ "$mode" = flat ] && cmp_args+=(--flat)
        mapfile -t extra_args < <(expectations "$server" "${mode/resync/recursive}")
        broken=()
        for i in "${!extra_args[@]}"; do
            if [ "${extra_args[$i]}" = --broken ]; then
                extra_args[$i]=--optional
                broken+=("${extra_args[$((i + 1))]}")
            fi
        done
        cmp_args+=("${extra_args[@]}")
        report=$(python3 "$lib/compare.py" "$tree" "$out" "${cmp_args[@]}")
        crc=$?
        counts=$(tail -n 1 <<<"$report" | sed 's/^counts: //')
        detail="$counts, ${secs}s"
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            detail="timed out after ${timeout_s}s; $detail"
        elif [ $rc -ne 0 ]; then
            detail="exit $rc; $detail"
        fi
        if [ $rc -eq 0 ] && [ $crc -eq 0 ] && log_file=$(srv_request_log "$server"); then
            # re-sync: the same command again must send no file request
            from=$(( $(wc -l <"$log_file") + 1 ))
            timeout --kill-after=10 "$timeout_s" "${fetchall_cmd[@]}" "${args[@]}" -o "$out" "$url" \
                >>"$work/out/$server-$mode.log" 2>&1
            rc=$?
            bodies=$(srv_body_requests "$server" "$from")
            detail="$detail, re-run bodies $bodies"
            [ "$bodies" = 0 ] || crc=1
        fi
        if [ $rc -eq 1 ] && [ $crc -eq 0 ] && [ ${#broken[@]} -gt 0 ] && [ "$mode" = resync ]; then
            resync_check "$server" "$out" "$url" "$detail (exit 1 accepted: server lists broken links)" "${#broken[@]}"
        elif [ $rc -eq 1 ] && [ $crc -eq 0 ] && [ ${#broken[@]} -gt 0 ]; then
            # the failed links are the server's broken ones; all else is right
            add_result "$server" "$mode" PASS "$detail (exit 1 accepted: server lists broken links)"
        elif [ $rc -eq 0 ] && [ $crc -eq 0 ] && [ "$mode" = resync ]; then
            resync_check "$server" "$out" "$url" "$detail"
        elif [ $rc -eq 0 ] && [ $crc -eq 0 ]; then
            add_result "$server" "$mode" PASS "$detail"
        else
            add_result "$server" "$mode" FAIL "$detail"
            log "-- $server $mode: FAIL ($FETCHALL ${args[*]} -o OUT $url, exit $rc)"
            if [ $rc -ne 0 ]; then
                log "   client output (last 10 lines):"
                tail -n 10 "$work/out/$server-$mode.log" | sed 's/^/     /' >&2
            fi
            sed '$d' <<<"$report" | sed 's/^/   /' >&2
        fi
    done
    srv_stop_all
done

# ---------------------------------------------------------------------------
echo
echo "fetchall interop results ($FETCHALL)"
printf '%-13s %-10s %-5s %s\n' SERVER MODE RESULT DETAIL
for r in "${results[@]}"; do
    IFS='|' read -r s m st d <<<"$r"
    printf '%-13s %-10s %-5s %s\n' "$s" "$m" "$st" "$d"
done
npass=0; nfail=0; nskip=0
for r in "${results[@]}"; do
    case "$r" in *"|PASS|"*) npass=$((npass + 1)) ;; *"|FAIL|"*) nfail=$((nfail + 1)) ;; *) nskip=$((nskip + 1)) ;; esac
done
echo "took $(( $(date +%s) - start_time ))s"
# plain closing line, readable by CI
echo "interop: $npass passed, $nfail failed, $nskip skipped"
exit $any_fail
