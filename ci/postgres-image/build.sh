#!/usr/bin/env bash
# Builds a PostgreSQL image FROM scratch out of this machine's own PostgreSQL binaries and the
# shared libraries they need: no registry is needed. The data directory is initdb'd at build
# time (trust authentication, listening on all interfaces), so a container is ready in well
# under a second. Usage: ci/postgres-image/build.sh [TAG]   (default: xtask-postgres:<major>)
set -euo pipefail

postgres_bin=$(command -v postgres || ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)
pgbin=$(dirname "$(readlink -f "$postgres_bin")")
pgroot=$(dirname "$pgbin")            # /usr/lib/postgresql/<major>
major=$(basename "$pgroot")
tag=${1:-xtask-postgres:$major}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/root
mkdir -p "$root/tmp" "$root/etc" "$root/var/run/postgresql" "$root/var/lib/postgresql" "$root/usr/share/zoneinfo"
chmod 1777 "$root/tmp"

# The server, without the LLVM JIT (half the size).
tar -C / --exclude='llvmjit*' --exclude='bitcode' -cf - "${pgroot#/}" "usr/share/postgresql/$major" | tar -C "$root" -xf -

# Shared libraries of every binary and module, and of /bin/sh; copied as files at their real
# paths, reached through merged-/usr links.
{
  for f in "$pgbin"/postgres "$pgbin"/initdb "$pgbin"/pg_ctl /bin/sh "$pgroot"/lib/*.so; do
    ldd "$f" 2>/dev/null | awk '/=>/ && $3 ~ /^\// { print $3 } /^\t\/lib/ { print $1 }'
  done
} | sort -u | while read -r lib; do
  real=$(readlink -f "$lib")
  mkdir -p "$root$(dirname "$real")" "$root$(dirname "/usr${lib#/usr}")"
  cp -L "$real" "$root$real"
  [ -e "$root/usr${lib#/usr}" ] || cp -L "$real" "$root/usr${lib#/usr}"
done
mkdir -p "$root/usr/bin"
cp -L /bin/sh "$root/usr/bin/sh"
for d in lib lib64 bin; do
  [ -e "$root/usr/$d" ] || mkdir -p "$root/usr/$d"
  [ -e "$root/$d" ] || ln -s "usr/$d" "$root/$d"
done
# The whole time zone database: migrations may use any zone, and initdb records the host's.
cp -a /usr/share/zoneinfo/. "$root/usr/share/zoneinfo/"
# Links that leave the tree (Debian's zoneinfo/localtime -> /etc/localtime) would dangle in the
# image, and pg_timezone_names fails on a dangling entry: copy what they point at instead.
find "$root/usr/share/zoneinfo" -type l -lname '/*' | while read -r link; do
  cp --remove-destination -L "$(readlink -f "${link#"$root"}")" "$link"
done
ln -sf /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"

uid=$(id -u postgres); gid=$(id -g postgres)
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:%s:%s:PostgreSQL:/var/lib/postgresql:/bin/sh\n' "$uid" "$gid" > "$root/etc/passwd"
printf 'root:x:0:\npostgres:x:%s:\n' "$gid" > "$root/etc/group"

# The data directory, initdb'd here as the postgres user.
data=$ctx/data
mkdir -p "$data" && chown postgres:postgres "$data" "$ctx"
setpriv --reuid=postgres --regid=postgres --init-groups \
  "$pgbin/initdb" -D "$data/pgdata" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
echo "host all all all trust" >> "$data/pgdata/pg_hba.conf"
chown -R postgres:postgres "$root/var/run/postgresql" "$root/var/lib/postgresql"

# The script's own checksum as a label: ci/test.sh rebuilds an image made by another version.
build_sha=$(sha256sum "$0" | cut -c1-16)
cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
LABEL xtask.build=$build_sha
COPY root/ /
# Copy the parent: a directory COPY creates its target 0755, PostgreSQL wants its data dir 0700.
COPY --chown=$uid:$gid data/ /var/lib/postgresql/
USER postgres
ENV PGDATA=/var/lib/postgresql/pgdata TZ=UTC LC_ALL=C
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["$pgbin/postgres", "-D", "/var/lib/postgresql/pgdata", "-c", "listen_addresses=*", "-c", "unix_socket_directories=/tmp", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "autovacuum=off"]
DOCKERFILE
docker build -q -t "$tag" "$ctx" >/dev/null
echo "built $tag"
