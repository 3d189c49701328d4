use super::components::ErrorNotice;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <Title text="Not found" />
        <ErrorNotice error=AppError::NotFound />
    }
}
