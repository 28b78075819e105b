//! Supervisor: starts the children, restarts one that fails (with backoff), counts the
//! restarts for the health report, and gives up on a child that keeps failing while the
//! rest of the tree keeps working.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use promptdeck_storage::{Replica, history};
use ractor::rpc::CallResult;
use ractor::{
    Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SpawnErr, SupervisionEvent,
};

use crate::auth::{AccountChanged, AuthActor, AuthArgs, AuthConfig, AuthMsg};
use crate::cache::{CacheActor, CacheArgs};
use crate::error::RequestError;
use crate::names::Names;
use crate::queue::{QueueArgs, QueueMsg, RequestQueueActor};
use crate::status::{ChildHealth, ChildState, StatusBoard};
use crate::sync::{LinkConfig, SyncActor, SyncArgs, SyncConfig, SyncMsg};
use crate::workspace::{
    DEFAULT_SPACE, Workspace, WorkspaceConfig, WorkspaceError, check_workspaces,
};

/// More failures than this within [`FAILURE_WINDOW`] and the child is left stopped.
const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The supervised children, started in this order. Every one runs for the life of the
/// process whatever the settings: a SyncActor with no server idles, an AuthActor with no
/// sign-in says none is needed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Child {
    /// One per workspace, named by its space.
    Cache(String),
    Queue,
    Auth,
    /// One per workspace.
    Sync(String),
}

impl Child {
    /// Every child the tree has with these workspaces, in start order.
    fn wanted(args: &SupervisorArgs) -> Vec<Child> {
        let spaces = || args.workspaces.iter().map(|w| w.space.clone());
        let mut children: Vec<Child> = spaces().map(Child::Cache).collect();
        children.push(Child::Queue);
        children.push(Child::Auth);
        children.extend(spaces().map(Child::Sync));
        children
    }

    fn name(&self) -> &'static str {
        match self {
            Child::Cache(_) => "CacheActor",
            Child::Queue => "RequestQueueActor",
            Child::Auth => "AuthActor",
            Child::Sync(_) => "SyncActor",
        }
    }

    fn space(&self) -> Option<&str> {
        match self {
            Child::Cache(space) | Child::Sync(space) => Some(space),
            Child::Queue | Child::Auth => None,
        }
    }

    /// How the status names it while it is down: "SyncActor (team)".
    fn label(&self) -> String {
        match self.space() {
            Some(space) => format!("{} ({space})", self.name()),
            None => self.name().to_owned(),
        }
    }

    /// Whether it belongs to a workspace that `workspaces` no longer lists.
    fn left(&self, workspaces: &[Workspace]) -> bool {
        self.space().is_some_and(|space| workspaces.iter().all(|w| w.space != space))
    }
}

pub enum SupervisorMsg {
    /// Starts a child again once its backoff has passed. No reply.
    Restart(Child),
    /// Reply: the health of every child, in start order.
    Health(RpcReplyPort<Vec<ChildHealth>>),
    /// Stops every child for good (no restarts). Reply: once they have all stopped.
    StopChildren(RpcReplyPort<()>),
    /// Runs from now on with these workspaces, syncing as `sync` and `auth` say (or not at
    /// all). The running actors are told; only a workspace that comes or goes starts or
    /// stops its own actors. Libraries and their waiting changes stay. Reply: once the new
    /// settings are in use.
    Reconfigure(Box<SyncSetup>, RpcReplyPort<Result<(), RequestError>>),
}

/// How the tree runs: which workspaces, syncing with which backend, signing in how.
pub struct SyncSetup {
    /// `None` keeps the workspaces, the first one taking `sync`'s space.
    pub workspaces: Option<Vec<WorkspaceConfig>>,
    pub sync: Option<SyncConfig>,
    pub auth: Option<AuthConfig>,
}

pub struct Supervisor;

#[derive(Clone)]
pub struct SupervisorArgs {
    pub workspaces: Vec<Workspace>,
    pub status: StatusBoard,
    pub names: Names,
    pub sync: Option<SyncConfig>,
    pub auth: Option<AuthConfig>,
    /// The wait before a failed child's first restart; it doubles with each failure.
    pub first_backoff: Duration,
    /// How much history the workspaces' stores keep, those opened later too.
    pub keep_history: history::Keep,
}

impl SupervisorArgs {
    pub const FIRST_BACKOFF: Duration = Duration::from_millis(50);
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
        let mut state = SupervisorState { args, slots: BTreeMap::new(), stopping: false };
        state.start_missing(&myself).await?;
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        message: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::Restart(child) => {
                // Reconfigured away while it waited for its backoff, or running already.
                if state.slots.get(&child).is_none_or(|slot| slot.cell.is_some()) {
                    return Ok(());
                }
                match spawn(&child, &state.args, myself.get_cell()).await {
                    Ok(cell) => {
                        tracing::info!(actor = child.name(), "restarted");
                        let slot = state.slot(&child);
                        slot.cell = Some(cell);
                        slot.state = ChildState::Running;
                        let label = child.label();
                        state.args.status.update(|s| s.unavailable.retain(|l| *l != label));
                    }
                    Err(e) => state.on_failure(&myself, child, e.to_string()),
                }
            }
            SupervisorMsg::Health(reply) => {
                let _ = reply.send(state.health());
            }
            SupervisorMsg::Reconfigure(setup, reply) => {
                let outcome = state.reconfigure(&myself, *setup).await;
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
    child: &Child,
    args: &SupervisorArgs,
    supervisor: ActorCell,
) -> Result<ActorCell, SpawnErr> {
    let names = &args.names;
    match child {
        Child::Cache(space) => {
            let cache_args = CacheArgs {
                replica: args.replica(space)?,
                space: space.clone(),
                status: args.status.workspace(space),
            };
            let name = Some(names.cache(space));
            let (actor, _) = Actor::spawn_linked(name, CacheActor, cache_args, supervisor).await?;
            Ok(actor.get_cell())
        }
        Child::Sync(space) => {
            let sync_args = SyncArgs {
                replica: args.replica(space)?,
                status: args.status.workspace(space),
                names: names.clone(),
                space: space.clone(),
                link: args.link(space),
            };
            let name = Some(names.sync(space));
            let (actor, _) = Actor::spawn_linked(name, SyncActor, sync_args, supervisor).await?;
            ractor::pg::join(names.sync_group(), vec![actor.get_cell()]);
            Ok(actor.get_cell())
        }
        Child::Auth => {
            let auth_args = AuthArgs {
                config: args.sign_in(),
                status: args.status.clone(),
                account_changed: nudge_every_sync(names),
            };
            let (actor, _) =
                Actor::spawn_linked(Some(names.auth()), AuthActor, auth_args, supervisor).await?;
            Ok(actor.get_cell())
        }
        Child::Queue => {
            let queue_args = QueueArgs {
                workspaces: args.workspaces.clone(),
                status: args.status.clone(),
                names: names.clone(),
            };
            let name = Some(names.queue());
            let (actor, _) =
                Actor::spawn_linked(name, RequestQueueActor, queue_args, supervisor).await?;
            Ok(actor.get_cell())
        }
    }
}

/// Tells every SyncActor of the tree that the account changed.
fn nudge_every_sync(names: &Names) -> AccountChanged {
    let group = names.sync_group();
    Arc::new(move || {
        for sync in ractor::pg::get_members(&group) {
            let _ = sync.send_message(SyncMsg::Nudge);
        }
    })
}

impl SupervisorArgs {
    /// How the workspace of `space` syncs, if it does.
    fn link(&self, space: &str) -> Option<LinkConfig> {
        let config = self.sync.as_ref()?.for_space(space);
        Some(LinkConfig { config, signs_in: self.auth.is_some() })
    }

    /// How the profile signs in: only when it syncs, through a provider.
    fn sign_in(&self) -> Option<AuthConfig> {
        self.sync.as_ref().and(self.auth.clone())
    }

    /// The workspaces as they run, the first one syncing as `sync`'s space.
    fn configs(&self, sync: Option<&SyncConfig>) -> Vec<WorkspaceConfig> {
        let first = sync.map_or(DEFAULT_SPACE, |s| s.space.as_str());
        let config = |(at, w): (usize, &Workspace)| WorkspaceConfig {
            space: if at == 0 { first.to_owned() } else { w.space.clone() },
            library_path: w.replica.path().to_owned(),
        };
        self.workspaces.iter().enumerate().map(config).collect()
    }

    fn replica(&self, space: &str) -> Result<Arc<Replica>, SpawnErr> {
        let workspace = self.workspaces.iter().find(|w| w.space == space);
        let missing = || SpawnErr::StartupFailed(format!("there is no workspace {space:?}").into());
        workspace.map(|w| w.replica.clone()).ok_or_else(missing)
    }
}

impl SupervisorState {
    /// Starts every wanted child that has no slot yet.
    async fn start_missing(&mut self, myself: &ActorRef<SupervisorMsg>) -> Result<(), SpawnErr> {
        for child in Child::wanted(&self.args) {
            if self.slots.contains_key(&child) {
                continue;
            }
            let cell = spawn(&child, &self.args, myself.get_cell()).await?;
            self.slots.insert(child, Slot::running(cell));
        }
        Ok(())
    }

    /// Stops the children `which` picks. They leave their slots before they stop, so their
    /// stopping is not taken for a failure.
    async fn stop_where(&mut self, which: impl Fn(&Child) -> bool) {
        let leaving: Vec<Child> = self.slots.keys().filter(|c| which(c)).cloned().collect();
        for child in leaving.into_iter().rev() {
            if let Some(cell) = self.slots.remove(&child).and_then(|slot| slot.cell) {
                let reason = Some("reconfigured".into());
                let _ = cell.stop_and_wait(reason, Some(Duration::from_secs(5))).await;
            }
        }
    }

    async fn reconfigure(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        setup: SyncSetup,
    ) -> Result<(), RequestError> {
        let SyncSetup { workspaces, sync, auth } = setup;
        let workspaces = workspaces.unwrap_or_else(|| self.args.configs(sync.as_ref()));
        check_workspaces(&workspaces, sync.as_ref())?;
        let workspaces =
            open_workspaces(&self.args.workspaces, workspaces, self.args.keep_history).await?;
        self.stop_where(|child| child.left(&workspaces)).await;
        let spaces: Vec<String> = workspaces.iter().map(|w| w.space.clone()).collect();
        self.args.status.update(|s| s.set_workspaces(&spaces));
        self.args.workspaces = workspaces;
        self.args.sync = sync;
        self.args.auth = auth;
        self.tell_children().await?;
        self.start_missing(myself).await.map_err(|e| RequestError::Unavailable(e.to_string()))?;
        tracing::info!(
            syncing = self.args.sync.is_some(),
            workspaces = self.args.workspaces.len(),
            "reconfigured"
        );
        Ok(())
    }

    /// Tells the running queue, AuthActor and SyncActors what the settings now are. One
    /// that is down (restarting) gets them as it starts again.
    async fn tell_children(&self) -> Result<(), RequestError> {
        let timeout = Some(Duration::from_secs(10));
        let names = &self.args.names;
        if let Some(queue) = ActorRef::<QueueMsg>::where_is(names.queue()) {
            let workspaces = self.args.workspaces.clone();
            let _ = queue.call(|reply| QueueMsg::SetWorkspaces(workspaces, reply), timeout).await;
        }
        if let Some(auth) = ActorRef::<AuthMsg>::where_is(names.auth()) {
            let config = self.args.sign_in();
            let _ = auth.call(|reply| AuthMsg::Configure(config, reply), timeout).await;
        }
        for workspace in &self.args.workspaces {
            let Some(sync) = ActorRef::<SyncMsg>::where_is(names.sync(&workspace.space)) else {
                continue;
            };
            let link = self.args.link(&workspace.space).map(Box::new);
            let told = sync.call(|reply| SyncMsg::Configure { link, reply }, timeout).await;
            if let Ok(CallResult::Success(Err(error))) = told {
                return Err(error);
            }
        }
        Ok(())
    }

    fn slot(&mut self, child: &Child) -> &mut Slot {
        self.slots.get_mut(child).expect("every child has a slot from pre_start")
    }

    /// The child a supervision event is about; events from an earlier incarnation that
    /// was already replaced are ignored.
    fn child_of(&self, cell: &ActorCell) -> Option<Child> {
        self.slots
            .iter()
            .find(|(_, slot)| slot.cell.as_ref().is_some_and(|c| c.get_id() == cell.get_id()))
            .map(|(child, _)| child.clone())
    }

    fn on_failure(&mut self, myself: &ActorRef<SupervisorMsg>, child: Child, error: String) {
        let label = child.label();
        self.args.status.update(|s| {
            if !s.unavailable.contains(&label) {
                s.unavailable.push(label);
            }
        });
        let now = Instant::now();
        let slot = self.slot(&child);
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
        let backoff = (self.args.first_backoff * 2u32.pow(failures as u32 - 1)).min(MAX_BACKOFF);
        tracing::warn!(actor = child.name(), %error, backoff_ms = backoff.as_millis() as u64, "failed; restarting");
        myself.send_after(backoff, move || SupervisorMsg::Restart(child));
    }

    fn health(&self) -> Vec<ChildHealth> {
        self.slots
            .iter()
            .map(|(child, slot)| ChildHealth {
                name: child.name().to_owned(),
                space: child.space().map(str::to_owned),
                state: slot.state,
                restarts: slot.restarts,
                last_error: slot.last_error.clone(),
            })
            .collect()
    }
}

/// The workspaces `wanted` lists: those already open keep their store (matched by file),
/// the others are opened. Nothing changes if one cannot be opened.
async fn open_workspaces(
    open: &[Workspace],
    wanted: Vec<WorkspaceConfig>,
    keep_history: history::Keep,
) -> Result<Vec<Workspace>, WorkspaceError> {
    let mut workspaces = Vec::with_capacity(wanted.len());
    for config in wanted {
        let kept = open.iter().find(|w| w.replica.path() == config.library_path);
        let replica = match kept {
            Some(workspace) => workspace.replica.clone(),
            None => Arc::new(Workspace::open_store(config.library_path, keep_history).await?),
        };
        workspaces.push(Workspace { space: config.space, replica });
    }
    Ok(workspaces)
}
