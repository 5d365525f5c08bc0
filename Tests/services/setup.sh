# Shared by Tests/run and plans/demo: installs the Debian packages ocibatch and its tests need,
# and puts Swift on PATH. Source it; it defines functions only.

section() { printf '\n==> %s\n' "$*"; }

packages=(
    libcurl4-openssl-dev libssl-dev libsqlite3-dev libarchive-dev
    docker-registry skopeo umoci apache2-utils openssl ca-certificates curl python3
)

install_missing_packages() {
    local missing=() package
    for package in "${packages[@]}"; do
        if [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) != installed ]]; then
            missing+=("$package")
        fi
    done
    ((${#missing[@]})) || return 0
    section "installing Debian packages: ${missing[*]}"
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -q
    # Debian's docker-registry package starts a daemon on :5000 when installed; we start our own,
    # so while installing, a policy-rc.d (when there is none) tells maintainer scripts not to.
    local policy=/usr/sbin/policy-rc.d made_policy=0 status=0
    if ((EUID == 0)) && [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || status=$?
    if ((made_policy)); then rm -f "$policy"; fi
    return $status
}

ensure_packages() {
    section "Debian packages"
    install_missing_packages
    echo "ready: ${packages[*]}"
}

ensure_swift() {
    if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH=/opt/swift/usr/bin:$PATH
    fi
    command -v swift >/dev/null || { echo "swift is not on PATH (nor in /opt/swift/usr/bin)" >&2; return 1; }
}
