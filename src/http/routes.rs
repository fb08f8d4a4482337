//! Every route of the API, declared once. A handler's `#[utoipa::path]` attribute says its
//! method and path; [`route_table!`] lists the handlers and reads both from it (through the
//! `__path_<handler>` item utoipa generates beside each one). The router, the OpenAPI document
//! and the metrics' route templates are all built from these tables, so none can drift.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::Response;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

use super::App;
use crate::store::Store;

/// What the OpenAPI document needs of a route.
pub struct Documented {
    /// The path as the document writes it (`{id}`, never `{*path}`).
    pub path: String,
    pub methods: Vec<HttpMethod>,
    pub operation: Operation,
    /// The schemas its bodies refer to.
    pub schemas: Vec<(String, RefOr<Schema>)>,
}

impl Documented {
    /// The operation of handler `P`, with its tags (kept apart from the operation by utoipa).
    pub fn of<P>() -> Self
    where
        P: utoipa::Path + utoipa::__dev::Tags<'static> + utoipa::__dev::SchemaReferences,
    {
        let mut operation = P::operation();
        let tags = P::tags();
        if !tags.is_empty() {
            operation
                .tags
                .get_or_insert_with(Vec::new)
                .extend(tags.iter().map(|t| (*t).to_owned()));
        }
        let mut schemas = Vec::new();
        P::schemas(&mut schemas);
        Self {
            path: P::path(),
            methods: P::methods(),
            operation,
            schemas,
        }
    }
}

/// A handler's answer to come: what axum's handlers of `async fn`s give already.
pub type Answer = Pin<Box<dyn Future<Output = Response> + Send>>;

/// A route's handler, called with the request and the application.
pub type Endpoint<S> = Arc<dyn Fn(Request, App<S>) -> Answer + Send + Sync>;

/// One route: its documentation, and the handler that serves it (none for the pages the web
/// dispatcher serves, whose paths no route pattern can say).
pub struct Route<S> {
    /// The path, as OpenAPI writes it (`{id}`).
    pub path: String,
    pub methods: Vec<HttpMethod>,
    /// Builds the route's documentation, only when the OpenAPI document is built: building
    /// every route's at start-up ran most of utoipa's code, and kept megabytes of it resident.
    pub doc: fn() -> Documented,
    /// The path's last parameter takes the rest of the path, `/` included.
    pub rest_of_path: bool,
    pub handler: Option<Endpoint<S>>,
}

impl<S: Store> Route<S> {
    /// The route of handler `handler` (an `async fn` taking axum's extractors), documented by
    /// `P`, for each of the methods `P` names.
    pub fn serve<P, H, T>(handler: H, rest_of_path: bool) -> Self
    where
        P: utoipa::Path + utoipa::__dev::Tags<'static> + utoipa::__dev::SchemaReferences,
        H: Handler<T, App<S>, Future = Answer> + Sync,
        T: 'static,
    {
        Self {
            path: P::path(),
            methods: P::methods(),
            doc: Documented::of::<P>,
            rest_of_path,
            handler: Some(Arc::new(move |request, app| {
                handler.clone().call(request, app)
            })),
        }
    }

    /// An operation documented here but served elsewhere (the web dispatcher).
    pub fn dispatched<P>() -> Self
    where
        P: utoipa::Path + utoipa::__dev::Tags<'static> + utoipa::__dev::SchemaReferences,
    {
        Self {
            path: P::path(),
            methods: P::methods(),
            doc: Documented::of::<P>,
            rest_of_path: false,
            handler: None,
        }
    }

    /// The path as the router matches it: the last parameter as `{*name}` when it takes the
    /// rest of the path.
    pub fn router_path(&self) -> String {
        let path = &self.path;
        match (self.rest_of_path, path.rfind('{')) {
            (true, Some(at)) => format!("{}{{*{}", &path[..at], &path[at + 1..]),
            _ => path.clone(),
        }
    }

    /// The methods, as `http` names them.
    pub fn methods(&self) -> Vec<Method> {
        self.methods
            .iter()
            .filter_map(|m| Method::from_bytes(m.as_str().to_uppercase().as_bytes()).ok())
            .collect()
    }
}

trait MethodName {
    fn as_str(&self) -> &'static str;
}

impl MethodName for HttpMethod {
    fn as_str(&self) -> &'static str {
        match self {
            HttpMethod::Get => "get",
            HttpMethod::Post => "post",
            HttpMethod::Put => "put",
            HttpMethod::Delete => "delete",
            HttpMethod::Patch => "patch",
            HttpMethod::Head => "head",
            HttpMethod::Options => "options",
            HttpMethod::Trace => "trace",
        }
    }
}

/// A table of routes: `module::handler` (a handler generic over the store is written
/// `module::handler<S>`), `[rest]` after one whose last path parameter takes the rest of the
/// path, and `dispatched module::operation` for a documented operation served elsewhere.
#[macro_export]
macro_rules! route_table {
    ($S:ident; $($entry:tt)*) => {
        $crate::route_table!(@each [] $S; $($entry)*)
    };
    (@each [$($done:expr,)*] $S:ident;) => {
        ::std::vec![$($done),*]
    };
    (@each [$($done:expr,)*] $S:ident; dispatched $module:ident :: $op:ident, $($rest:tt)*) => {
        $crate::route_table!(@each [$($done,)* ::paste::paste! {
            $crate::http::routes::Route::<$S>::dispatched::<$module::[<__path_ $op>]>()
        },] $S; $($rest)*)
    };
    (@each [$($done:expr,)*] $S:ident; $module:ident :: $handler:ident $(< $g:ident >)? $([$rest_of_path:ident])?, $($rest:tt)*) => {
        $crate::route_table!(@each [$($done,)* ::paste::paste! {
            $crate::http::routes::Route::<$S>::serve::<$module::[<__path_ $handler>], _, _>(
                $module::$handler $(::<$g>)?,
                $crate::route_table!(@rest $($rest_of_path)?),
            )
        },] $S; $($rest)*)
    };
    (@rest) => { false };
    (@rest rest) => { true };
}

/// Every API route: the releases and links API and the GitLab subsets around it, and the
/// monitoring endpoints.
pub fn api_routes<S: Store>() -> Vec<Route<S>> {
    use super::handlers::{
        audit_events, commits, downloads, effective_members, generic_packages, group_hooks, groups,
        health, hook_entries, hook_events, hooks, job_tokens, link_downloads, link_order,
        link_replace, link_verify, links, members, meta, packages, projects, protected_tags,
        releases, tags, tokens, uploads, users,
    };
    use super::metrics;
    route_table! { S;
        meta::version<S>,
        audit_events::list<S>,
        audit_events::show<S>,
        users::current<S>,
        users::list<S>,
        users::create<S>,
        users::show<S>,
        tokens::create<S>,
        tokens::show_self<S>,
        tokens::revoke_self<S>,
        tokens::show<S>,
        tokens::revoke<S>,
        groups::create<S>,
        groups::show<S>,
        members::list_group<S>,
        members::add_group<S>,
        members::show_group<S>,
        members::update_group<S>,
        members::remove_group<S>,
        projects::list<S>,
        projects::create<S>,
        projects::create_for_user<S>,
        projects::show<S>,
        projects::update<S>,
        projects::destroy<S>,
        members::list_project<S>,
        effective_members::list<S>,
        effective_members::show<S>,
        members::add_project<S>,
        members::show_project<S>,
        members::update_project<S>,
        members::remove_project<S>,
        job_tokens::create<S>,
        protected_tags::list<S>,
        protected_tags::create<S>,
        protected_tags::show<S>,
        protected_tags::destroy<S>,
        tags::list<S>,
        tags::create<S>,
        tags::show<S>,
        tags::destroy<S>,
        commits::merge_requests<S>,
        hooks::list<S>,
        hooks::create<S>,
        hooks::show<S>,
        hooks::update<S>,
        hooks::destroy<S>,
        hook_events::list<S>,
        hook_events::test<S>,
        hook_events::resend<S>,
        hook_entries::set_url_variable<S>,
        hook_entries::unset_url_variable<S>,
        hook_entries::set_custom_header<S>,
        hook_entries::unset_custom_header<S>,
        group_hooks::list<S>,
        group_hooks::create<S>,
        group_hooks::show<S>,
        group_hooks::update<S>,
        group_hooks::destroy<S>,
        group_hooks::events<S>,
        group_hooks::test<S>,
        group_hooks::resend<S>,
        group_hooks::set_url_variable<S>,
        group_hooks::unset_url_variable<S>,
        group_hooks::set_custom_header<S>,
        group_hooks::unset_custom_header<S>,
        releases::list<S>,
        releases::create<S>,
        releases::show<S>,
        releases::update<S>,
        releases::destroy<S>,
        downloads::latest<S>,
        downloads::latest_suffix<S> [rest],
        downloads::asset<S> [rest],
        links::list<S>,
        links::create<S>,
        links::show<S>,
        links::update<S>,
        links::destroy<S>,
        link_order::order<S>,
        link_replace::replace<S>,
        link_verify::verify<S>,
        link_downloads::link<S>,
        link_downloads::release<S>,
        generic_packages::upload<S> [rest],
        generic_packages::download<S> [rest],
        packages::list<S>,
        packages::show<S>,
        packages::files<S>,
        packages::download_file<S>,
        packages::destroy<S>,
        packages::destroy_file<S>,
        uploads::create<S>,
        uploads::list<S>,
        uploads::show<S>,
        uploads::show_by_secret<S>,
        uploads::destroy<S>,
        uploads::destroy_by_secret<S>,
        health::health,
        health::liveness,
        health::readiness<S>,
        metrics::scrape<S>,
    }
}
