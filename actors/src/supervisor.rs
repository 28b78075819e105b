//! Supervisor: starts the children, restarts one that fails (with backoff), counts the
//! restarts for the health report, and gives up on a child that keeps failing while the
//! rest of the tree keeps working.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use promptdeck_storage::Replica;
use ractor::{
    Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SpawnErr, SupervisionEvent,
};

use crate::auth::{AuthActor, AuthArgs, AuthConfig};
use crate::cache::{CacheActor, CacheArgs};
use crate::names::Names;
use crate::queue::{QueueArgs, RequestQueueActor};
use crate::status::{Account, ChildHealth, ChildState, StatusBoard, SyncStatus};
use crate::sync::{SyncActor, SyncArgs, SyncConfig};

/// More failures than this within [`FAILURE_WINDOW`] and the child is left stopped.
const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The supervised children, started in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Child {
    Cache,
    Queue,
    /// Only when sync signs in through a provider.
    Auth,
    /// Only when a server is configured.
    Sync,
}

impl Child {
    const ALL: [Child; 4] = [Child::Cache, Child::Queue, Child::Auth, Child::Sync];

    /// Whether the tree has this child with these settings.
    fn wanted(self, args: &SupervisorArgs) -> bool {
        match self {
            Child::Cache | Child::Queue => true,
            Child::Sync => args.sync.is_some(),
            Child::Auth => args.sync.is_some() && args.auth.is_some(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Child::Cache => "CacheActor",
            Child::Queue => "RequestQueueActor",
            Child::Auth => "AuthActor",
            Child::Sync => "SyncActor",
        }
    }
}

pub enum SupervisorMsg {
    /// Starts a child again once its backoff has passed. No reply.
    Restart(Child),
    /// Reply: the health of every child, in start order.
    Health(RpcReplyPort<Vec<ChildHealth>>),
    /// Stops every child for good (no restarts). Reply: once they have all stopped.
    StopChildren(RpcReplyPort<()>),
    /// Syncs from now on as `sync` and `auth` say (or not at all): the SyncActor and the
    /// AuthActor are replaced; the library and its waiting changes stay. Reply: once the
    /// new ones run.
    Reconfigure(Box<SyncSetup>, RpcReplyPort<Result<(), String>>),
}

/// How the tree syncs: with which backend, signing in how.
pub struct SyncSetup {
    pub sync: Option<SyncConfig>,
    pub auth: Option<AuthConfig>,
}

pub struct Supervisor;

#[derive(Clone)]
pub struct SupervisorArgs {
    pub replica: Arc<Replica>,
    pub status: StatusBoard,
    pub names: Names,
    pub sync: Option<SyncConfig>,
    pub auth: Option<AuthConfig>,
}

struct Slot {
    cell: Option<ActorCell>,
    state: ChildState,
    restarts: u32,
    recent_failures: VecDeque<Instant>,
    last_error: Option<String>,
}

impl Slot {
    fn running(cell: ActorCell) -> Self {
        Slot {
            cell: Some(cell),
            state: ChildState::Running,
            restarts: 0,
            recent_failures: VecDeque::new(),
            last_error: None,
        }
    }
}

pub struct SupervisorState {
    args: SupervisorArgs,
    slots: BTreeMap<Child, Slot>,
    /// Set on shutdown: children that stop now are not restarted.
    stopping: bool,
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = SupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<SupervisorMsg>,
        args: SupervisorArgs,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        let mut slots = BTreeMap::new();
        for child in Child::ALL {
            if !child.wanted(&args) {
                continue;
            }
            let cell = spawn(child, &args, myself.get_cell()).await?;
            slots.insert(child, Slot::running(cell));
        }
        Ok(SupervisorState { args, slots, stopping: false })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        message: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::Restart(child) => {
                match spawn(child, &state.args, myself.get_cell()).await {
                    Ok(cell) => {
                        tracing::info!(actor = child.name(), "restarted");
                        let slot = state.slot(child);
                        slot.cell = Some(cell);
                        slot.state = ChildState::Running;
                    }
                    Err(e) => state.on_failure(&myself, child, e.to_string()),
                }
            }
            SupervisorMsg::Health(reply) => {
                let _ = reply.send(state.health());
            }
            SupervisorMsg::Reconfigure(setup, reply) => {
                let SyncSetup { sync, auth } = *setup;
                let outcome = state.reconfigure(&myself, sync, auth).await;
                let _ = reply.send(outcome);
            }
            SupervisorMsg::StopChildren(reply) => {
                state.stopping = true;
                myself.stop_children_and_wait(None, Some(Duration::from_secs(5))).await;
                let _ = reply.send(());
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        // Never return an error here: that would stop the supervisor and the whole tree.
        if state.stopping {
            return Ok(());
        }
        match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                if let Some(child) = state.child_of(&cell) {
                    state.on_failure(&myself, child, error.to_string());
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                if let Some(child) = state.child_of(&cell) {
                    let reason = reason.unwrap_or_else(|| "stopped unexpectedly".into());
                    state.on_failure(&myself, child, reason);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

async fn spawn(
    child: Child,
    args: &SupervisorArgs,
    supervisor: ActorCell,
) -> Result<ActorCell, SpawnErr> {
    match child {
        Child::Cache => {
            let cache_args =
                CacheArgs { replica: args.replica.clone(), status: args.status.clone() };
            let (actor, _) =
                Actor::spawn_linked(Some(args.names.cache()), CacheActor, cache_args, supervisor)
                    .await?;
            Ok(actor.get_cell())
        }
        Child::Sync => {
            let Some(config) = args.sync.clone() else {
                return Err(SpawnErr::StartupFailed("no sync server is configured".into()));
            };
            let sync_args = SyncArgs {
                replica: args.replica.clone(),
                status: args.status.clone(),
                names: args.names.clone(),
                config,
                signs_in: args.auth.is_some(),
            };
            let (actor, _) =
                Actor::spawn_linked(Some(args.names.sync()), SyncActor, sync_args, supervisor)
                    .await?;
            Ok(actor.get_cell())
        }
        Child::Auth => {
            let Some(config) = args.auth.clone() else {
                return Err(SpawnErr::StartupFailed("no sign-in is configured".into()));
            };
            let auth_args =
                AuthArgs { config, status: args.status.clone(), names: args.names.clone() };
            let (actor, _) =
                Actor::spawn_linked(Some(args.names.auth()), AuthActor, auth_args, supervisor)
                    .await?;
            Ok(actor.get_cell())
        }
        Child::Queue => {
            let queue_args = QueueArgs {
                replica: args.replica.clone(),
                status: args.status.clone(),
                names: args.names.clone(),
            };
            let (actor, _) = Actor::spawn_linked(
                Some(args.names.queue()),
                RequestQueueActor,
                queue_args,
                supervisor,
            )
            .await?;
            Ok(actor.get_cell())
        }
    }
}

impl SupervisorState {
    /// Replaces the sync children. The old ones leave their slots before they stop, so their
    /// stopping is not taken for a failure.
    async fn reconfigure(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        sync: Option<SyncConfig>,
        auth: Option<AuthConfig>,
    ) -> Result<(), String> {
        for child in [Child::Sync, Child::Auth] {
            if let Some(cell) = self.slots.remove(&child).and_then(|slot| slot.cell) {
                let _ = cell
                    .stop_and_wait(Some("reconfigured".into()), Some(Duration::from_secs(5)))
                    .await;
            }
        }
        self.args.sync = sync;
        self.args.auth = auth;
        if self.args.sync.is_none() {
            self.args.status.update(|s| {
                s.sync = SyncStatus::LocalOnly;
                s.live_updates = false;
            });
        }
        if self.args.auth.is_none() || self.args.sync.is_none() {
            self.args.status.update(|s| s.account = Account::NotNeeded);
        }
        for child in [Child::Auth, Child::Sync] {
            if !child.wanted(&self.args) {
                continue;
            }
            let cell =
                spawn(child, &self.args, myself.get_cell()).await.map_err(|e| e.to_string())?;
            self.slots.insert(child, Slot::running(cell));
        }
        tracing::info!(syncing = self.args.sync.is_some(), "sync reconfigured");
        Ok(())
    }

    fn slot(&mut self, child: Child) -> &mut Slot {
        self.slots.get_mut(&child).expect("every child has a slot from pre_start")
    }

    /// The child a supervision event is about; events from an earlier incarnation that
    /// was already replaced are ignored.
    fn child_of(&self, cell: &ActorCell) -> Option<Child> {
        self.slots
            .iter()
            .find(|(_, slot)| slot.cell.as_ref().is_some_and(|c| c.get_id() == cell.get_id()))
            .map(|(child, _)| *child)
    }

    fn on_failure(&mut self, myself: &ActorRef<SupervisorMsg>, child: Child, error: String) {
        let now = Instant::now();
        let slot = self.slot(child);
        slot.cell = None;
        slot.restarts += 1;
        slot.last_error = Some(error.clone());
        slot.recent_failures.push_back(now);
        while slot.recent_failures.front().is_some_and(|t| now - *t > FAILURE_WINDOW) {
            slot.recent_failures.pop_front();
        }
        let failures = slot.recent_failures.len();
        if failures > MAX_FAILURES {
            slot.state = ChildState::GaveUp;
            tracing::error!(actor = child.name(), failures, %error, "failing repeatedly; left stopped");
            return;
        }
        slot.state = ChildState::Restarting;
        let backoff = (FIRST_BACKOFF * 2u32.pow(failures as u32 - 1)).min(MAX_BACKOFF);
        tracing::warn!(actor = child.name(), %error, backoff_ms = backoff.as_millis() as u64, "failed; restarting");
        myself.send_after(backoff, move || SupervisorMsg::Restart(child));
    }

    fn health(&self) -> Vec<ChildHealth> {
        self.slots
            .iter()
            .map(|(child, slot)| ChildHealth {
                name: child.name().to_owned(),
                state: slot.state,
                restarts: slot.restarts,
                last_error: slot.last_error.clone(),
            })
            .collect()
    }
}
