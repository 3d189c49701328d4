use super::components::action_feedback;
use super::use_auth;
use crate::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let login = ServerAction::<Login>::new();
    auth.reload_after(login);
    // Where the visitor was going before being sent here; the server checks it is ours.
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Log in" />
        <section class="login-card">
            <h1>"Log in to Backbeat"</h1>
            <p class="muted">"Royalty analytics for artists, labels and distribution staff."</p>
            <ActionForm action=login attr:class="form" attr:aria-label="Log in">
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <input type="hidden" name="next" value=next />
                {action_feedback(login, "Logged in.")}
                <button type="submit" class="button">"Log in"</button>
            </ActionForm>
        </section>
    }
}
