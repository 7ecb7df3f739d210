#!/bin/sh
# Runs inside the fresh rootfs (chroot). Host keys are removed so that every container
# generates its own at start: tests rely on distinct keys per host.
set -eu
rm -f /etc/ssh/ssh_host_*
mkdir -p /run/sshd /etc/ssh/sshd_config.d
cat > /etc/ssh/sshd_config.d/10-bosun-lab.conf <<'CONF'
PasswordAuthentication yes
PermitRootLogin prohibit-password
UseDNS no
CONF
cat > /usr/local/sbin/bosun-sshd <<'SH'
#!/bin/sh
# Plain-host entry point: fresh host keys, then sshd in the foreground as PID 1.
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e
SH
chmod 0755 /usr/local/sbin/bosun-sshd
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
