#!/usr/bin/env bash
# Builds the whole file system of the push-server image into a directory, from this machine's JDK and glibc (no base
# image: no registry is needed). jib then packs it as one layer on `scratch`.
#
#   make-rootfs.sh <out-dir> <push-server.jar> <java-home> <java-release> <extra-modules> <left-out-modules>
#
# The JRE's modules: what jdeps finds in the jar, plus <extra-modules> (loaded by name, invisible to jdeps), minus
# <left-out-modules> (comma-separated lists).
#
# Contents: /opt/java (a jlink JRE), /app/push-server.jar, the shared libraries the JRE loads (found with ldd), glibc's
# NSS for name resolution, /etc/passwd and /etc/group with user push (10001), /tmp and /var/lib/push-server.
set -euo pipefail
out=$1 jar=$2 java_home=$3 release=$4 extra=$5 leave_out=$6

[ -f "$jar" ] || { echo "make-rootfs: $jar is missing: build from the root (mvn -Pimage package)" >&2; exit 1; }
rm -rf "$out"
found=$("$java_home/bin/jdeps" --multi-release "$release" --ignore-missing-deps --print-module-deps "$jar")
modules=$(printf '%s\n' ${found//,/ } ${extra//,/ } | grep -vxF -f <(printf '%s\n' ${leave_out//,/ }) | sort -u \
  | paste -sd, -)
mkdir -p "$out"/{app,etc,tmp,var/lib/push-server,opt}

"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --output "$out/opt/java"
# Debian's JDK links its cacerts to /etc/ssl/certs/java/cacerts: put the real file in (https webhooks need it)
if [ ! -s "$out/opt/java/lib/security/cacerts" ] && [ -s /etc/ssl/certs/java/cacerts ]; then
  rm -f "$out/opt/java/lib/security/cacerts"
  cp -L /etc/ssl/certs/java/cacerts "$out/opt/java/lib/security/cacerts"
fi
# the legal notices are symlinks into the build machine's /usr/share: copy what they point at
find "$out/opt/java" -type l | while read -r link; do
  target=$(readlink -f "$link" || true)
  rm "$link"
  if [ -n "$target" ] && [ -f "$target" ]; then cp "$target" "$link"; fi
done
cp "$jar" "$out/app/push-server.jar"

# every shared library the JRE's executables and libraries need, at the path the build machine has it
copy_lib() {
  local src=$1 dst="$out$1"
  [ -e "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  cp -L "$src" "$dst"
}
libs=$(find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 \
  | xargs -0 ldd 2>/dev/null \
  | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
# glibc loads these by name at run time: name service (hosts, passwd), thread cancellation
multiarch=$(dirname "$(ldd "$out/opt/java/bin/java" | awk '$1 ~ /^libc\.so/ {print $3}')")
for name in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2 libgcc_s.so.1 libpthread.so.0 libdl.so.2 librt.so.1 \
            libm.so.6 libz.so.1; do
  [ -e "$multiarch/$name" ] && libs+=$'\n'"$multiarch/$name"
done
for lib in $libs; do
  case $lib in "$out"/*) continue ;; esac
  copy_lib "$lib"
done

cat > "$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
push:x:10001:10001:push-server:/var/lib/push-server:/sbin/nologin
PASSWD
cat > "$out/etc/group" <<'GROUP'
root:x:0:
push:x:10001:
GROUP
cat > "$out/etc/nsswitch.conf" <<'NSS'
passwd: files
group:  files
hosts:  files dns
NSS
# container runtimes mount their own /etc/hosts and /etc/resolv.conf over these
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$out/etc/hosts"
: > "$out/etc/resolv.conf"
# jib wants the module's (empty) classes directory to exist
mkdir -p "$(dirname "$out")/classes"
echo "rootfs: $(du -sh "$out" | cut -f1) in $out (JRE modules: $modules)"
