#!/usr/bin/env bash
# Makes the JMS helper of the interoperability tests (scripts/jms/JmsTool.java) ready to run
# against one broker's own JMS client, and prints the Java classpath that runs it:
#
#   scripts/jms/fetch-client.sh activemq    Classic 5.17's client (javax.jms, OpenWire), the jars of Debian's `activemq` package
#   scripts/jms/fetch-client.sh activemq6   Classic 6's client (jakarta.jms, OpenWire) from Maven Central (scripts/jms/activemq6-pom.xml)
#   scripts/jms/fetch-client.sh artemis     Artemis' client (jakarta.jms, CORE) from Maven Central (scripts/jms/artemis-pom.xml)
#
# then: java -cp "$(scripts/jms/fetch-client.sh KIND)" JmsTool COMMAND ... (JmsTool.java says how).
# The jars are copied once, by `mvn`, into ${NESTJS_ACTIVEMQ_CACHE:-~/.cache/nestjs-activemq}/jms-KIND-VERSION/lib,
# and the helper is compiled once per source (the directory is named by its hash) into
# jms-KIND-VERSION/tool-HASH: a second run costs nothing, an edit of JmsTool.java recompiles.
# Classic 5.17's client is javax.jms: the same source is compiled with the package renamed.
# Without javac on the PATH (a Java runtime alone), the runtime's own compiler does it (Javac.java).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kind=${1:-}
cache="${NESTJS_ACTIVEMQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-activemq}"
source_file="$here/JmsTool.java"

die() { echo "fetch-client.sh: $*" >&2; exit 1; }
needs_root() { die "$2 needs Debian's '$1' package, and installing it needs root: run 'sudo apt-get update && sudo apt-get install -y $1' (bash .ci/run does this), then run again"; }

# pom_version POM: the <client.version> a pom names.
pom_version() { sed -n 's:.*<client.version>\(.*\)</client.version>.*:\1:p' "$1"; }

# publish TMP DIR: renames the finished TMP to DIR in one step; if another run got there first, keeps its DIR.
publish() {
  if ! mv -T "$1" "$2" 2>/dev/null; then
    rm -rf "$1"
    [ -f "$2/.complete" ] || die "could not move $1 to $2"
  fi
}

# maven_lib POM DIR: the pom's dependencies, copied once into DIR/lib; prints DIR/lib.
maven_lib() {
  local pom=$1 lib="$2/lib" tmp="$2/lib.partial.$$"
  if [ ! -f "$lib/.complete" ]; then
    command -v mvn >/dev/null || needs_root maven "the JMS client (fetched from Maven Central by mvn)"
    rm -rf "$lib" "$tmp"
    mkdir -p "$2"
    mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DoutputDirectory="$tmp" >&2 \
      || { rm -rf "$tmp"; die "could not fetch the JMS client of $pom from Maven Central"; }
    touch "$tmp/.complete"
    publish "$tmp" "$lib"
  fi
  echo "$lib"
}

# compile ARGS...: javac, or where only a Java runtime is installed, its compiler through Javac.java.
compile() {
  if command -v javac >/dev/null; then javac "$@"; else java "$here/Javac.java" "$@"; fi
}

case "$kind" in
  activemq)
    home=${ACTIVEMQ_HOME:-/usr/share/activemq}
    [ -f "$home/lib/activemq-client.jar" ] || needs_root activemq "the ActiveMQ 5.17 JMS client ($home/lib/activemq-client.jar)"
    version=$(dpkg-query -W -f='${Version}' libactivemq-java 2>/dev/null | sed 's/[^A-Za-z0-9.+-]/_/g' || true)
    dir="$cache/jms-activemq-${version:-local}"
    # The client and what it loads: the JMS 1.1 interfaces, J2EE management, hawtbuf, SLF4J
    # (with its simple provider when Debian has it, so that warnings reach stderr).
    classpath="$home/lib/activemq-client.jar:$home/lib/geronimo-jms_1.1_spec.jar:$home/lib/geronimo-j2ee-management-1.1-spec.jar:$home/lib/hawtbuf.jar:$home/lib/slf4j-api.jar"
    if [ -f /usr/share/java/slf4j-simple.jar ]; then classpath="$classpath:/usr/share/java/slf4j-simple.jar"; fi
    api=javax
    ;;
  activemq6 | artemis)
    pom="$here/$kind-pom.xml"
    version=$(pom_version "$pom")
    dir="$cache/jms-$kind-$version"
    lib=$(maven_lib "$pom" "$dir")
    classpath="$lib/*"
    api=jakarta
    ;;
  *)
    sed -n 2,14p "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

command -v java >/dev/null || needs_root default-jre-headless "the JMS test client (java)"
hash=$( (cat "$source_file"; echo "$api") | sha256sum | cut -c1-16)
tool="$dir/tool-$hash"
if [ ! -f "$tool/.complete" ]; then
  tmp="$tool.partial.$$"
  rm -rf "$tool" "$tmp"
  mkdir -p "$tmp/src"
  if [ "$api" = javax ]; then
    sed 's/\bjakarta\.jms\./javax.jms./g' "$source_file" > "$tmp/src/JmsTool.java"
  else
    cp "$source_file" "$tmp/src/JmsTool.java"
  fi
  # The jars one by one: javac expands a `dir/*` classpath entry, the compiler API (Javac.java) does not.
  jars=$(IFS=:; for entry in $classpath; do if [ "${entry%/\*}" != "$entry" ]; then ls "${entry%/\*}"/*.jar; else echo "$entry"; fi; done | paste -sd: -)
  compile -nowarn -encoding UTF-8 -cp "$jars" -d "$tmp" "$tmp/src/JmsTool.java" >&2 \
    || { rm -rf "$tmp"; die "could not compile $source_file against the $kind client"; }
  touch "$tmp/.complete"
  publish "$tmp" "$tool"
fi
echo "$tool:$classpath"
