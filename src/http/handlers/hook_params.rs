//! A hook's settings as a create or an update gives them: GitLab's parameters read with
//! Grape's coercions, applied with GitLab's rules (a new URL drops the token, the URL
//! variables and the custom headers), then GitLab's validations.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::domain::webhooks::{self, hook_url, SigningKey, MAX_TEMPLATE};
use crate::http::entities::{GROUP_EVENT_FLAGS, PROJECT_EVENT_FLAGS};
use crate::http::error::{ApiError, ApiResult};
use crate::http::params::{Declared, Field};
use crate::http::request::ApiRequest;
use crate::http::webhooks::Secrets;
use crate::http::App;
use crate::store::{HookSettings, Store};

/// `url_variables` or `custom_headers`: an array of `{key, value}`, both required.
fn pairs(d: &mut Declared<'_>, name: &str) -> Option<BTreeMap<String, String>> {
    let entries = d.hash_array(name)?;
    let mut map = BTreeMap::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let mut reader = Declared::within(entry, format!("{name}[{i}]"));
        let key = reader.required_string("key");
        let value = reader.required_string("value");
        d.absorb(reader);
        if let (Some(key), Some(value)) = (key.value(), value.value()) {
            map.insert(key, value);
        }
    }
    Some(map)
}

/// What a create or an update says, read with Grape's coercions.
pub(crate) struct HookParams {
    url: Field<String>,
    name: Field<String>,
    description: Field<String>,
    token: Field<String>,
    signing_token: Field<String>,
    branch_filter: Field<String>,
    strategy: Field<String>,
    template: Field<String>,
    flags: Vec<(String, bool)>,
    url_variables: Option<BTreeMap<String, String>>,
    custom_headers: Option<BTreeMap<String, String>>,
}

impl HookParams {
    pub(crate) fn read(request: &ApiRequest, url_required: bool, group: bool) -> ApiResult<Self> {
        let mut d = Declared::new(&request.params);
        let url = if url_required {
            d.required_string("url")
        } else {
            d.string("url")
        };
        let name = d.string("name");
        let description = d.string("description");
        let mut flags = Vec::new();
        let extra: &[&str] = if group { &GROUP_EVENT_FLAGS } else { &[] };
        for flag in PROJECT_EVENT_FLAGS
            .iter()
            .chain(
                [
                    "releases_events",
                    "tag_push_events",
                    "enable_ssl_verification",
                ]
                .iter(),
            )
            .chain(extra.iter())
            .chain(["duo_flow_callback_enabled"].iter())
        {
            if let Some(value) = d.boolean(flag).value() {
                flags.push(((*flag).to_owned(), value));
            }
        }
        let token = d.string("token");
        let signing_token = d.string("signing_token");
        let branch_filter = d.string("push_events_branch_filter");
        let template = d.string("custom_webhook_template");
        let strategy = d.one_of(
            "branch_filter_strategy",
            &["wildcard", "regex", "all_branches"],
        );
        let url_variables = pairs(&mut d, "url_variables");
        let custom_headers = pairs(&mut d, "custom_headers");
        d.finish()?;
        if let Field::Value(token) = &signing_token {
            if SigningKey::parse(token).is_none() {
                return Err(ApiError::params(
                    "signing_token must be in whsec_<base64> format encoding a 32-byte key",
                ));
            }
        }
        Ok(Self {
            url,
            name,
            description,
            token,
            signing_token,
            branch_filter,
            strategy,
            template,
            flags,
            url_variables,
            custom_headers,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        !(self.url.is_present()
            || self.name.is_present()
            || self.description.is_present()
            || self.token.is_present()
            || self.signing_token.is_present()
            || self.branch_filter.is_present()
            || self.strategy.is_present()
            || self.template.is_present()
            || !self.flags.is_empty()
            || self.url_variables.as_ref().is_some_and(|m| !m.is_empty())
            || self.custom_headers.as_ref().is_some_and(|m| !m.is_empty()))
    }

    /// Applies these parameters to `settings` and `secrets` (an update starts from the hook's,
    /// a create from the defaults), with GitLab's rules: a new URL without a token clears the
    /// token, and one that leads elsewhere clears the URL variables (when it had some) and
    /// the custom headers.
    pub(crate) fn apply(self, settings: &mut HookSettings, secrets: &mut Secrets) -> ApiResult<()> {
        let old_target = hook_url(&secrets.url, &secrets.url_variables).ok();
        let had_variables = !secrets.url_variables.is_empty();
        let url_changed = matches!(&self.url, Field::Value(url) if *url != secrets.url);
        if let Some(url) = self.url.value() {
            secrets.url = url.trim().to_owned();
        }
        if let Some(variables) = self.url_variables {
            secrets.url_variables.extend(variables);
        }
        if let Some(headers) = self.custom_headers {
            secrets.custom_headers.extend(headers);
        }
        match self.token {
            Field::Value(token) => secrets.token = (!token.is_empty()).then_some(token),
            Field::Null => secrets.token = None,
            Field::Missing if url_changed => secrets.token = None,
            Field::Missing => {}
        }
        match self.signing_token {
            Field::Value(token) => secrets.signing_token = Some(token),
            Field::Null => secrets.signing_token = None,
            Field::Missing => {}
        }
        let new_target = hook_url(&secrets.url, &secrets.url_variables).ok();
        if old_target.is_some() && new_target != old_target {
            if had_variables {
                secrets.url_variables.clear();
            }
            secrets.custom_headers.clear();
        }
        if let Some(name) = self.name.into_change() {
            settings.name = name;
        }
        if let Some(description) = self.description.into_change() {
            settings.description = description;
        }
        if let Some(filter) = self.branch_filter.into_change() {
            settings.push_events_branch_filter = filter;
        }
        if let Some(strategy) = self.strategy.value() {
            settings.branch_filter_strategy = strategy;
        }
        if settings.branch_filter_strategy == "all_branches" {
            settings.push_events_branch_filter = None;
        }
        if let Some(template) = self.template.into_change() {
            settings.custom_webhook_template = template;
        }
        let mut other: Map<String, Value> =
            serde_json::from_str(&settings.other_events).unwrap_or_default();
        for (flag, value) in self.flags {
            match flag.as_str() {
                "releases_events" => settings.releases_events = value,
                "tag_push_events" => settings.tag_push_events = value,
                "enable_ssl_verification" => settings.enable_ssl_verification = value,
                _ => {
                    other.insert(flag, Value::Bool(value));
                }
            }
        }
        settings.other_events = Value::Object(other).to_string();
        Ok(())
    }
}

/// GitLab's model validations, in its order, as its create answers them (`{"error": …}`, 422).
pub(crate) async fn validate<S: Store>(
    app: &App<S>,
    settings: &HookSettings,
    secrets: &Secrets,
) -> ApiResult<()> {
    let invalid = |text: &str| ApiError::Error(StatusCode::UNPROCESSABLE_ENTITY, text.to_owned());
    let target =
        hook_url(&secrets.url, &secrets.url_variables).map_err(|_| invalid("Invalid url given"))?;
    if app.outbound.refuse_hook_url(&target).await.is_some() {
        return Err(invalid("Invalid url given"));
    }
    if !webhooks::valid_custom_headers(&secrets.custom_headers) {
        return Err(invalid("Custom headers must be a valid json schema"));
    }
    if !webhooks::valid_url_variables(&secrets.url_variables) {
        return Err(invalid("Url variables must be a valid json schema"));
    }
    if secrets.token.as_deref().is_some_and(|t| t.contains('\n')) {
        return Err(invalid("Token is invalid"));
    }
    if settings
        .custom_webhook_template
        .as_deref()
        .is_some_and(|t| t.chars().count() > MAX_TEMPLATE)
    {
        return Err(invalid(
            "Custom webhook template is too long (maximum is 4096 characters)",
        ));
    }
    Ok(())
}

/// A new hook's settings before its parameters: GitLab's defaults.
pub(crate) fn defaults() -> HookSettings {
    HookSettings {
        other_events: "{}".into(),
        enable_ssl_verification: true,
        branch_filter_strategy: "wildcard".into(),
        ..HookSettings::default()
    }
}
