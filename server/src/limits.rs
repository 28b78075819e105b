//! What one caller, and everyone together, may hold of the server at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promptdeck_protocol::wire::{PullRequest, PushRequest};

use crate::error::ApiError;

/// Bounds on time and on what is held at once; `promptdeck-server --help` states each.
#[derive(Clone, Debug)]
pub struct Limits {
    /// For a TLS handshake, for a request's headers, and for the idle time between two
    /// requests on one connection.
    pub header_timeout: Duration,
    /// For a request's body, once its headers are in.
    pub body_timeout: Duration,
    /// Open connections in all.
    pub connections: usize,
    /// Open connections from one address.
    pub connections_per_address: usize,
    /// Push and pull requests one user has in flight.
    pub requests_per_user: usize,
    /// Poke streams one user holds open.
    pub poke_streams_per_user: usize,
    /// Poke streams open in all.
    pub poke_streams: usize,
    /// How often a poke stream of a space shared with its caller checks that the grant
    /// still stands; a revoked one ends.
    pub poke_recheck: Duration,
    /// Mutations processed from one push; the rest wait for the client's next push, as
    /// the protocol allows (refusing the push would wedge a client that sends everything
    /// pending at once, as the official one does).
    pub mutations_per_push: usize,
    /// Quotas: live prompts in one space, and bytes of live prompts in all the spaces one
    /// user owns (a grantee's writes count against the owner). A mutation that would grow
    /// past either is refused with 413 and the push stops there; deletes and edits that do
    /// not grow always pass, so a full space can be emptied.
    pub quotas: Quotas,
}

/// What one space and one user may keep; see [`Limits::quotas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub prompts_per_space: u64,
    pub bytes_per_user: u64,
}

/// The longest client group, client, profile or mutator name taken, in bytes.
pub const MAX_ID_BYTES: usize = 256;

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            connections: 4096,
            connections_per_address: 256,
            requests_per_user: 16,
            poke_streams_per_user: 32,
            poke_streams: 10_000,
            poke_recheck: Duration::from_secs(15),
            mutations_per_push: 1000,
            // Room for the 100k-prompt libraries the benches sync, and for bodies of
            // realistic lengths.
            quotas: Quotas { prompts_per_space: 250_000, bytes_per_user: 1 << 30 },
        }
    }
}

/// Refuses a push whose ids are longer than [`MAX_ID_BYTES`]: the server keeps them.
pub(crate) fn check_push_ids(request: &PushRequest) -> Result<(), ApiError> {
    let group =
        [("client group id", &request.client_group_id), ("profile id", &request.profile_id)];
    let each = request
        .mutations
        .iter()
        .flat_map(|m| [("client id", &m.client_id), ("mutator name", &m.name)]);
    check_ids(group.into_iter().chain(each))
}

/// Refuses a pull whose ids are longer than [`MAX_ID_BYTES`].
pub(crate) fn check_pull_ids(request: &PullRequest) -> Result<(), ApiError> {
    check_ids([("client group id", &request.client_group_id), ("profile id", &request.profile_id)])
}

/// Refuses an `owner=` that names nobody or is longer than [`MAX_ID_BYTES`].
pub(crate) fn check_owner(owner: &str) -> Result<&str, ApiError> {
    if owner.is_empty() {
        return Err(ApiError::BadRequest("owner= names nobody".into()));
    }
    check_ids([("owner", &owner.to_owned())]).map(|()| owner)
}

fn check_ids<'a>(
    ids: impl IntoIterator<Item = (&'static str, &'a String)>,
) -> Result<(), ApiError> {
    match ids.into_iter().find(|(_, id)| id.len() > MAX_ID_BYTES) {
        Some((what, id)) => Err(ApiError::BadRequest(format!(
            "the {what} is {} bytes long; this server takes at most {MAX_ID_BYTES}",
            id.len()
        ))),
        None => Ok(()),
    }
}

/// Counts of requests and poke streams held, per user and in all.
#[derive(Clone)]
pub(crate) struct Held {
    counts: Arc<Mutex<Counts>>,
    limits: Arc<Limits>,
}

#[derive(Default)]
struct Counts {
    requests: HashMap<String, usize>,
    pokes: HashMap<String, usize>,
    pokes_in_all: usize,
}

/// What a [`Hold`] counts against.
#[derive(Clone, Copy)]
enum Kind {
    Request,
    PokeStream,
}

/// A request or poke stream in progress; dropping it gives its place back.
pub(crate) struct Hold {
    user: String,
    kind: Kind,
    counts: Arc<Mutex<Counts>>,
}

impl Held {
    pub(crate) fn new(limits: Limits) -> Self {
        Self { counts: Arc::default(), limits: Arc::new(limits) }
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A place for one more push or pull by `user`.
    pub(crate) fn request(&self, user: &str) -> Result<Hold, ApiError> {
        let mut counts = self.lock();
        let held = counts.requests.entry(user.to_owned()).or_default();
        if *held >= self.limits.requests_per_user {
            return Err(ApiError::TooBusy(format!(
                "you already have {held} requests in progress here; try again when they finish"
            )));
        }
        *held += 1;
        Ok(self.hold(user, Kind::Request))
    }

    /// A place for one more poke stream by `user`.
    pub(crate) fn poke_stream(&self, user: &str) -> Result<Hold, ApiError> {
        let mut counts = self.lock();
        if counts.pokes_in_all >= self.limits.poke_streams {
            return Err(ApiError::TooBusy(
                "this server follows as many poke streams as it can; try again later".into(),
            ));
        }
        let held = counts.pokes.entry(user.to_owned()).or_default();
        if *held >= self.limits.poke_streams_per_user {
            return Err(ApiError::TooBusy(format!(
                "you already follow {held} poke streams here; close one first"
            )));
        }
        *held += 1;
        counts.pokes_in_all += 1;
        Ok(self.hold(user, Kind::PokeStream))
    }

    fn hold(&self, user: &str, kind: Kind) -> Hold {
        Hold { user: user.to_owned(), kind, counts: self.counts.clone() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let per_user = match self.kind {
            Kind::Request => &mut counts.requests,
            Kind::PokeStream => &mut counts.pokes,
        };
        if let Some(held) = per_user.get_mut(&self.user) {
            *held -= 1;
            if *held == 0 {
                per_user.remove(&self.user);
            }
        }
        if let Kind::PokeStream = self.kind {
            counts.pokes_in_all -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(requests: usize, pokes: usize, in_all: usize) -> Limits {
        Limits {
            requests_per_user: requests,
            poke_streams_per_user: pokes,
            poke_streams: in_all,
            ..Limits::default()
        }
    }

    #[test]
    fn a_user_at_the_limit_is_refused_and_others_are_not() {
        let held = Held::new(limits(2, 1, 10));
        let first = held.request("alice").expect("a place");
        let _second = held.request("alice").expect("a place");
        assert!(matches!(held.request("alice"), Err(ApiError::TooBusy(_))));
        assert!(held.request("bob").is_ok());
        drop(first);
        assert!(held.request("alice").is_ok(), "a finished request gives its place back");
    }

    #[test]
    fn poke_streams_are_limited_per_user_and_in_all() {
        let held = Held::new(limits(1, 2, 3));
        let _a1 = held.poke_stream("alice").expect("a place");
        let a2 = held.poke_stream("alice").expect("a place");
        assert!(matches!(held.poke_stream("alice"), Err(ApiError::TooBusy(_))));
        let _b1 = held.poke_stream("bob").expect("a place");
        assert!(matches!(held.poke_stream("carol"), Err(ApiError::TooBusy(_))), "3 in all");
        drop(a2);
        assert!(held.poke_stream("carol").is_ok());
    }

    #[test]
    fn nothing_is_left_counted_once_all_is_given_back() {
        let held = Held::new(Limits::default());
        let holds =
            [held.request("alice").expect("a place"), held.poke_stream("alice").expect("a place")];
        drop(holds);
        let counts = held.lock();
        assert!(counts.requests.is_empty() && counts.pokes.is_empty());
        assert_eq!(counts.pokes_in_all, 0);
    }
}
