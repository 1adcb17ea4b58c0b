//! `TCP_NODELAY` on the process's connections to PostgreSQL.
//!
//! sqlx 0.9.0 stopped turning Nagle's algorithm off on its TCP sockets (sqlx issue #4335; the
//! fix, PR #4336, is merged but not released). With Nagle on, the last, partial segment of a
//! statement larger than one TCP segment waits until the server acknowledges the segments
//! before it, and Linux delays that acknowledgement by up to 40 ms: a 1,000-row INSERT took
//! ~49 ms against PostgreSQL on the same machine instead of ~7 ms, and a 100,000-subject
//! import ran at a third, phone lookups at a tenth of their speed over the Unix socket
//! (docs/benchmarks.md, session 11).
//!
//! sqlx gives no access to its sockets, and obereg forbids `unsafe` code, so a raw descriptor
//! number cannot be turned into something to call `setsockopt` on. Linux can duplicate a
//! descriptor of a process through a pidfd (`pidfd_getfd`, Linux 5.6), and for the process
//! itself no privilege is needed: every new PostgreSQL connection runs [`on_sockets_to`],
//! which looks at the process's open sockets (`/proc/self/fd`), duplicates each TCP socket
//! whose peer is the database's port, and turns Nagle off on it (the duplicate shares the
//! socket; it is closed at once). Setting the option twice, or on another of the process's
//! connections to that port, is harmless. Where pidfds are not available (an older kernel, a
//! seccomp filter, another OS) nothing changes and the Unix socket remains the advice
//! (README). Remove this module once sqlx sets the option itself again.

/// Turns Nagle's algorithm off on every TCP socket of this process whose peer listens on
/// `port`; returns how many sockets it changed.
#[cfg(target_os = "linux")]
pub(crate) fn on_sockets_to(port: u16) -> usize {
    use rustix::net::sockopt;
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

    let Ok(pidfd) = pidfd_open(getpid(), PidfdFlags::empty()) else { return 0 };
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else { return 0 };
    let mut changed = 0;
    for entry in entries.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|name| name.parse().ok()) else { continue };
        // Only sockets: duplicating anything else would be wasted work.
        let is_socket = std::fs::read_link(entry.path()).is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        let Ok(socket) = pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) else { continue };
        let to_port = rustix::net::getpeername(&socket)
            .ok()
            .flatten()
            .and_then(|peer| std::net::SocketAddr::try_from(peer).ok())
            .is_some_and(|peer| peer.port() == port);
        let is_stream = sockopt::socket_type(&socket).is_ok_and(|kind| kind == rustix::net::SocketType::STREAM);
        if to_port && is_stream && sockopt::tcp_nodelay(&socket).is_ok_and(|on| !on) && sockopt::set_tcp_nodelay(&socket, true).is_ok() {
            changed += 1;
        }
    }
    changed
}

/// Elsewhere there is no safe way to reach sqlx's sockets: nothing changes.
#[cfg(not(target_os = "linux"))]
pub(crate) fn on_sockets_to(_port: u16) -> usize {
    0
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::on_sockets_to;

    #[test]
    fn nagle_goes_off_on_this_processs_connections_to_the_port_and_only_those() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        let to_server = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let to_other = std::net::TcpStream::connect(other.local_addr().unwrap()).unwrap();
        assert!(!to_server.nodelay().unwrap() && !to_other.nodelay().unwrap(), "Nagle is on by default");
        assert_eq!(on_sockets_to(port), 1);
        assert!(to_server.nodelay().unwrap());
        assert!(!to_other.nodelay().unwrap(), "a connection to another port is left alone");
        // Already off: nothing left to change on that socket.
        let again = on_sockets_to(port);
        assert!(to_server.nodelay().unwrap());
        assert_eq!(again, 0);
    }
}
