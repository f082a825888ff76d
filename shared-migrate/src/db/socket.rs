//! A network that stops answering. The postgres client bounds only the TCP connect and leaves
//! its socket to itself; a server (or a proxy) that accepts and then never answers would hold a
//! deploy, and its migration lock, for ever. Three guards, each for what the others miss:
//! - the whole start-up (TCP, TLS, authentication) is bounded by `connect_timeout`
//!   ([`super::connection`] runs it on a helper thread and closes its socket when late);
//! - TCP keepalives and `TCP_USER_TIMEOUT` (set through the client's configuration) end a
//!   connection whose peer is gone: a firewall dropping packets, a host that went away;
//! - `socket_timeout` (Prisma's parameter): a request that gets no answer within it ends the
//!   connection. Needed where the kernel at the other end still answers keepalives (a proxy
//!   that stopped forwarding). Watched here, from the kernel's own `TCP_INFO` figures of each
//!   socket: time since we last sent and since we last received.
//!
//! The postgres client does not hand out its socket, so it is found among the process's file
//! descriptors: the TCP socket to the server's port that appeared during the connect (connects
//! to TCP servers are one at a time, so that no other connect's socket can be mistaken for it).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::RawFd;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// A socket, known by its descriptor and its inode (a descriptor number is reused once
/// closed; the inode tells whether it is still the same socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Socket {
    fd: RawFd,
    inode: u64,
}

/// Held during a TCP connect, see the module's documentation.
pub(super) fn one_connect_at_a_time() -> MutexGuard<'static, ()> {
    static CONNECTING: Mutex<()> = Mutex::new(());
    CONNECTING.lock().unwrap_or_else(|p| p.into_inner())
}

/// This process's sockets, now.
pub(super) fn sockets() -> HashSet<Socket> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let fd: RawFd = e.file_name().to_str()?.parse().ok()?;
        let target = std::fs::read_link(e.path()).ok()?;
        let inode = target
            .to_str()?
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()?;
        Some(Socket { fd, inode })
    })
    .collect()
}

/// The TCP socket to `port` that is open now and was not in `before`: the connection just
/// made. None when there is not exactly one.
pub(super) fn made_since(before: &HashSet<Socket>, port: u16) -> Option<Socket> {
    let mut new = sockets()
        .into_iter()
        .filter(|s| !before.contains(s) && peer_port(s.fd) == Some(port));
    let found = new.next()?;
    new.next().is_none().then_some(found)
}

fn peer_port(fd: RawFd) -> Option<u16> {
    address(fd, libc::getpeername).map(|a| a.port())
}

/// The socket's local address as the server would see it: (address, port).
pub(super) fn local_address(s: Socket) -> Option<(IpAddr, u16)> {
    if !s.is_current() {
        return None;
    }
    let a = address(s.fd, libc::getsockname)?;
    Some((unmapped(a.ip()), a.port()))
}

/// One end of an IP socket, asked with `getpeername` or `getsockname` (same signature).
fn address(
    fd: RawFd,
    ask: unsafe extern "C" fn(
        libc::c_int,
        *mut libc::sockaddr,
        *mut libc::socklen_t,
    ) -> libc::c_int,
) -> Option<SocketAddr> {
    // SAFETY: both calls write at most `len` bytes into the storage we own.
    unsafe {
        let mut addr: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if ask(fd, (&raw mut addr).cast(), &mut len) != 0 {
            return None;
        }
        match i32::from(addr.ss_family) {
            libc::AF_INET => {
                let a: &libc::sockaddr_in = &*(&raw const addr).cast();
                let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                Some(SocketAddr::new(ip.into(), u16::from_be(a.sin_port)))
            }
            libc::AF_INET6 => {
                let a: &libc::sockaddr_in6 = &*(&raw const addr).cast();
                let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
                Some(SocketAddr::new(ip.into(), u16::from_be(a.sin6_port)))
            }
            _ => None,
        }
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) as the IPv4 address it is.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, Into::into),
        v4 => v4,
    }
}

impl Socket {
    /// Whether the descriptor still holds this socket.
    fn is_current(self) -> bool {
        // SAFETY: fstat on a descriptor number; a closed one fails with EBADF.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            libc::fstat(self.fd, &mut st) == 0 && st.st_ino == self.inode
        }
    }

    /// Ends the connection: whoever waits on it gets an error at once.
    pub(super) fn shut_down(self) {
        if self.is_current() {
            // SAFETY: shutting down a socket of ours that is still the one we identified.
            unsafe {
                libc::shutdown(self.fd, libc::SHUT_RDWR);
            }
        }
    }

    /// Milliseconds since data was last sent and last received, from the kernel.
    fn idle_millis(self) -> Option<(u32, u32)> {
        // SAFETY: getsockopt writes at most `len` bytes into the tcp_info we own.
        unsafe {
            let mut info: libc::tcp_info = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
            if libc::getsockopt(
                self.fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&raw mut info).cast(),
                &mut len,
            ) != 0
            {
                return None;
            }
            Some((info.tcpi_last_data_sent, info.tcpi_last_data_recv))
        }
    }
}

struct Watched {
    socket: Socket,
    timeout: Duration,
    peer: String,
}

static WATCHED: Mutex<Vec<Watched>> = Mutex::new(Vec::new());

/// Ends `socket`'s connection when a request on it gets no answer within `timeout`: nothing
/// sent or received for that long while the session waits on it ([`waited_on`]). Stops
/// watching once the socket is closed. `peer` names the server in the message.
pub(super) fn watch(socket: Socket, timeout: Duration, peer: String) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    WATCHED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Watched {
            socket,
            timeout,
            peer,
        });
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("socket-timeout".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(Duration::from_millis(250));
                    check_watched();
                }
            });
    });
}

fn check_watched() {
    let mut watched = WATCHED.lock().unwrap_or_else(|p| p.into_inner());
    watched.retain(|w| {
        if !w.socket.is_current() {
            return false;
        }
        let Some((sent, received)) = w.socket.idle_millis() else {
            return false;
        };
        // Nothing either way for the whole timeout, while the session's thread waits for
        // this socket: a request sent, its answer not (or only partly) come.
        let quiet = u128::from(sent.min(received)) >= w.timeout.as_millis();
        let waiting = quiet && waited_on(w.socket);

        if waiting {
            eprintln!(
                "no answer from {} for {} (socket_timeout): closing the connection",
                w.peer,
                crate::text::duration_text(w.timeout)
            );
            w.socket.shut_down();
            return false;
        }
        true
    });
}

/// Whether a thread of this process is blocked waiting for `socket`: inside `epoll_wait` on an
/// epoll instance that watches it (the client's runtime waits that way for an answer; an idle
/// session is not waited on at all). Read from `/proc/self/task/*/syscall` and the epoll
/// instances' `fdinfo`.
fn waited_on(socket: Socket) -> bool {
    let waits = [
        libc::SYS_epoll_pwait,
        libc::SYS_epoll_pwait2,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_epoll_wait,
    ];
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return false;
    };
    let blocked_on: Vec<RawFd> = tasks
        .filter_map(|t| {
            let text = std::fs::read_to_string(t.ok()?.path().join("syscall")).ok()?;
            let mut fields = text.split_whitespace();
            let number: libc::c_long = fields.next()?.parse().ok()?;
            let fd = fields.next()?.strip_prefix("0x")?;
            waits
                .contains(&number)
                .then(|| RawFd::from_str_radix(fd, 16).ok())
                .flatten()
        })
        .collect();
    blocked_on.into_iter().any(|epoll| {
        std::fs::read_to_string(format!("/proc/self/fdinfo/{epoll}")).is_ok_and(|info| {
            info.lines().any(|l| {
                l.strip_prefix("tfd:")
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|fd| fd.parse::<RawFd>().ok())
                    == Some(socket.fd)
            })
        })
    })
}

/// Whether one of this process's TCP sockets has the local address `ip:port`: the address a
/// server says its client has is ours, so nothing stands between us.
pub(super) fn ours_at(ip: IpAddr, port: u16) -> bool {
    let ip = unmapped(ip);
    sockets()
        .into_iter()
        .any(|s| local_address(s) == Some((ip, port)))
}

/// Whether one of this process's Unix sockets is connected to a socket that process `pid`
/// listens on (the peer's credentials, SO_PEERCRED).
pub(super) fn unix_peer_is(pid: i32) -> bool {
    sockets().into_iter().any(|s| {
        // SAFETY: getsockopt writes at most `len` bytes into the ucred we own.
        unsafe {
            let mut cred: libc::ucred = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
            libc::getsockopt(
                s.fd,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&raw mut cred).cast(),
                &mut len,
            ) == 0
                && cred.pid == pid
        }
    })
}

/// The parent of process `pid` on this machine (`/proc/<pid>/stat`), if it can be read.
pub(super) fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}
