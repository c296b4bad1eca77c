"""Importer un rapport: templates, drop files, check the preview, confirm; history and undo."""

import streamlit as st

from ardenne_kpi import ui
from ardenne_kpi.core import accounts
from ardenne_kpi.core.errors import ReportError
from ardenne_kpi.intake import annotate, guard, import_view, importer, review, template_lines, templates, web_entry

ctx = ui.page_setup("Importer un rapport", icon=":material/upload_file:")
fw, con = ctx.fw, ctx.con
state = st.session_state
state.setdefault("import_round", 0)  # bumped after a commit: empties the file drop zone
state.setdefault("import_previews", {})
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
operator_codes = [o.code for o in fw.operators]
allowed = accounts.upload_operators(ctx.user, operator_codes)  # whom this account may upload for
lands_as = review.review_for(ctx.user)  # a partner's import is submitted, an admin's validated

st.title("Importer un rapport d'activité")
st.markdown(
    "Déposez le rapport Excel d'un opérateur : il est lu et vérifié, vous voyez ce qu'il changera, et "
    "**rien n'est enregistré tant que vous n'avez pas confirmé**. Tout import peut être annulé depuis l'historique."
)
for message in state.pop("import_done", []):
    st.success(ui.md(message), icon=":material/check_circle:")
if "rollback_done" in state:
    st.success(ui.md(state.pop("rollback_done")), icon=":material/undo:")
in_review = import_view.review_view(  # a partner's own uploads only; read again once a commit lands
    ui.unless_file_changed(
        con,
        f"in review {None if accounts.is_admin(ctx.user) else sorted(ctx.user.operators)}",
        lambda: review.in_review(con, ctx.user),
    )
)
if not accounts.is_admin(ctx.user) and allowed:
    for back in in_review.returned[:3]:
        heading, message, fix = import_view.returned_notice(back)
        with st.container(border=True):
            st.warning(f"**{ui.md(heading)}**", icon=":material/reply:")
            st.caption("Message de la coordination :")
            st.text(message)  # the coordinator's words, as written: never read as Markdown
            st.caption(ui.md(fix))

locks = ui.locks(con)  # read again once a commit lands
reason = None
if locks:
    locked = ui.md(review.locks_text(fw, locks))
    if accounts.is_admin(ctx.user):
        reason = (
            st.text_input(
                "Motif (seulement pour modifier une période verrouillée)",
                key="import_lock_reason",
                help=f"Périodes verrouillées : {locked}. Les valeurs nouvelles ou modifiées d'une période verrouillée "
                "ne sont enregistrées qu'avec un motif, gardé dans l'historique.",
            ).strip()
            or None
        )
    else:
        st.caption(
            f"Périodes verrouillées (chiffres arrêtés pour le comité) : {locked}. Une valeur qui les "
            "modifierait est refusée : demandez à la coordination de rouvrir la période."
        )


def lock_reason_field(key: str, action: str) -> str | None:
    """While periods are locked, the admin's reason for an action that would change their figures."""
    if not locks:
        return None
    text = st.text_input(
        f"Motif (seulement si {action} modifie une période verrouillée)",
        key=key,
        persist_state="page",
        help=f"Périodes verrouillées : {review.locks_text(fw, locks)}. Une action qui modifierait leurs chiffres "
        "n'est faite qu'avec un motif, gardé dans l'historique et cité par la page Suivi et le dossier du comité.",
    )
    return text.strip() or None


name_col, operator_col = st.columns(2)
if ctx.user.local:
    user = name_col.text_input(
        "Votre nom (enregistré comme auteur de l'import)", key="import_user", placeholder="ex. Marie Dupont"
    ).strip()
else:
    user = ctx.user.name  # the signed-in account is the uploader
    name_col.text_input("Import enregistré au nom de", value=user, disabled=True)
operator = ui.in_address(
    operator_col.selectbox,
    "Opérateur",
    allowed,
    index=None,
    key="import_operator",
    param="operateur",
    default=allowed[0] if ctx.user.role == "partner" and allowed else None,
    format_func=lambda c: f"{c} · {fw.label('operators', c)}",
    placeholder="Lu dans le fichier (ligne « Opérateur : … »)",
    disabled=not allowed,
    help="Choisissez l'opérateur dont vous importez le rapport. Laissé vide, il est lu dans le fichier ; "
    "si le fichier en nomme un autre, il est refusé.",
)


@st.fragment
def drop_reports(operator: str | None, user: str, reason: str | None, shown: bool) -> None:
    """The drop zone, then each file's verdict, errors and preview, and the button that records the
    accepted ones. A fragment: dropping or removing a file reruns it alone, not the whole page. The
    drop zone is drawn even while its tab is hidden (it would forget its files), the previews only
    while it shows (each file is read and checked once, then kept in the session)."""
    if not allowed:
        st.info("Votre compte est en lecture seule : il ne peut pas importer de rapport.", icon=":material/block:")
        return
    limit_mb = guard.max_upload_bytes() // 2**20
    files = st.file_uploader(
        "Rapports à importer",
        accept_multiple_files=True,
        key=f"import_files_{state.import_round}",
        help="Un ou plusieurs fichiers .xlsx, .xlsm, .xls ou .ods.",
    )
    st.caption(
        f"Formats acceptés : .xlsx, .xlsm, .xls, .ods · {limit_mb} Mo au plus par fichier · "
        "un classeur protégé par mot de passe doit d'abord être enregistré sans mot de passe."
    )
    if not shown:
        return

    revision = ui.data_revision(con)
    keyed = [(f, f.getvalue()) for f in files or []]
    keys = [(import_view.sha256(data), f.name, operator, revision, lands_as, reason) for f, data in keyed]
    # Kept for the files in the drop zone only: a removed file, or an older reading, is forgotten.
    previews = state.import_previews = {k: v for k, v in state.import_previews.items() if k in keys}
    shas = {key[0] for key in keys}
    state.import_annotated = {k: v for k, v in state.get("import_annotated", {}).items() if k in shas}
    todo = [(f, data, key) for (f, data), key in zip(keyed, keys, strict=True) if key not in previews]
    if todo:
        bar = st.progress(0.0, text="Lecture des fichiers…")
        for n, (f, data, key) in enumerate(todo):
            bar.progress(n / len(todo), text=f"Lecture et vérification de « {ui.md(f.name)} » ({n + 1}/{len(todo)})…")
            with ui.user_errors():
                previews[key] = importer.import_file(
                    con,
                    data,
                    f.name,
                    operator=operator,
                    dry_run=True,
                    framework=fw,
                    review=lands_as,
                    lock_reason=reason,
                )
        bar.empty()

    ready = []
    for (f, data), key in zip(keyed, keys, strict=True):
        result = previews.get(key)
        if result is None:
            continue
        verdict = import_view.verdict(result)
        with st.container(border=True):
            getattr(st, verdict.kind)(f"**{ui.md(verdict.title)}** — {ui.md(verdict.text)}")
            issues = result.errors + result.warnings
            if issues:
                table = import_view.issues_table(issues)
                if len(table) <= 20:  # whole sentences, wrapped: partners read them to fix the cells
                    ui.text_table(import_view.issues_by_cell(table))
                else:
                    st.dataframe(
                        table,
                        hide_index=True,
                        width="stretch",
                        column_config={"Message": st.column_config.TextColumn(width="large")},
                    )
                try:
                    marked = state.import_annotated.get(key[0])
                    if marked is None:
                        marked = annotate.annotate(data, f.name, issues)
                        state.import_annotated[key[0]] = marked
                except ReportError:
                    st.caption("Le fichier lui-même n'a pas pu être lu : il n'y a pas de copie annotée à télécharger.")
                else:
                    st.download_button(
                        "Télécharger le fichier annoté (cellules en cause surlignées et commentées)",
                        marked.data,
                        file_name=marked.file_name,
                        mime=XLSX_MIME,
                        icon=":material/rate_review:",
                        key=f"annotated_{key[0]}",
                    )
                    if marked.converted:
                        st.caption(
                            "Votre fichier n'est pas au format .xlsx : le fichier annoté en est une copie "
                            ".xlsx (les valeurs seules, sans la mise en forme d'origine)."
                        )
            if result.status != "refused" and not result.changes.empty:
                st.markdown("**Aperçu des changements** (modifiés d'abord ; ancien → nouveau)")
                ui.table(
                    import_view.changes_table(result.changes, fw),
                    wide="Libellé",
                    column_order=import_view.PREVIEW_ORDER,
                )
            if verdict.can_commit and not accounts.can_upload(ctx.user, result.operator):
                try:
                    accounts.check_upload(ctx.user, result.operator)
                except accounts.AccessError as exc:
                    ui.refuse(exc)  # a partner's file naming another operator
            elif verdict.can_commit:
                ready.append((f, data, result))

    if ready:
        if not user:
            st.warning("Indiquez votre nom en haut de la page pour pouvoir enregistrer.", icon=":material/badge:")
        if st.button(
            f"Enregistrer {len(ready)} fichier(s) accepté(s)",
            type="primary",
            disabled=not user,
            icon=":material/save:",
            key="import_commit",
        ):
            done = []
            with ui.user_errors():
                for f, data, checked in ready:
                    accounts.check_upload(ctx.user, checked.operator)
                    result = importer.import_file(
                        con,
                        data,
                        f.name,
                        operator=operator,
                        user=user,
                        db_path=ctx.db_path,
                        framework=fw,
                        checked=checked,
                        review=lands_as,
                        lock_reason=reason,
                    )
                    done.append(result.summary_fr())
                done.append(import_view.landed_sentence(lands_as))
                state.import_done = done
                state.import_round += 1
                state.import_previews = {}
                st.rerun()


def enter_online(operator: str | None, user: str, reason: str | None, shown: bool) -> None:
    """The online grid of one operator's due values for a period, checked like a file. The grid is
    drawn even while its tab is hidden (it would forget what was typed), its check only while it shows."""
    if not allowed:
        st.info("Votre compte est en lecture seule : il ne peut rien saisir.", icon=":material/block:")
    elif operator is None:
        st.info("Choisissez en haut de la page l'opérateur dont vous saisissez les valeurs.", icon=":material/badge:")
    else:
        st.markdown(
            "Quelques valeurs à déclarer ? Saisissez-les ici plutôt que dans le classeur : elles sont "
            "vérifiées comme un fichier, vous voyez ce qu'elles changent, et rien n'est enregistré avant "
            "votre confirmation. La dernière valeur et l'objectif sont donnés pour information."
        )
        entry_choices = template_lines.period_choices(fw)
        e_period = st.selectbox(
            "Période du rapport",
            entry_choices,
            index=len(fw.calendar.semesters) - 1,
            format_func=lambda p: p.label_fr,
            key="entry_period",
            placeholder="Choisissez une période",
        )
        with ui.user_errors():
            base = ui.cached(web_entry.grid, con, fw, operator, e_period)
            entered = st.data_editor(
                base,
                disabled=web_entry.REFERENCE,
                hide_index=True,
                width="stretch",
                height=ui.table_height(len(base), ui.WRAP_ROW_PX),
                row_height=ui.WRAP_ROW_PX,  # every due line in view (60 at most), its indicator's name wrapped
                key=f"entry_{operator}_{e_period.code}_{state.import_round}",
                column_config={"Indicateur": st.column_config.TextColumn("Indicateur", width="medium")}
                | {
                    c: st.column_config.TextColumn(c, help="Nombre au format français : 1 234,5")
                    for c in ("Valeur", "Numérateur", "Dénominateur")
                },
            )
            if st.button("Vérifier la saisie", icon=":material/fact_check:", key="entry_check"):
                name, data = web_entry.workbook(con, fw, operator, e_period, entered, user=user)
                state.entry_preview = (
                    name,
                    data,
                    importer.import_file(
                        con,
                        data,
                        name,
                        operator=operator,
                        dry_run=True,
                        framework=fw,
                        review=lands_as,
                        lock_reason=reason,
                    ),
                )
        if shown and "entry_preview" in state:
            name, data, result = state.entry_preview
            verdict = web_entry.verdict(result)
            getattr(st, verdict.kind)(f"**{ui.md(verdict.title)}** — {ui.md(verdict.text)}")
            issues = result.errors + result.warnings
            if issues:
                ui.text_table(web_entry.issues_by_place(issues))
            if result.status != "refused" and not result.changes.empty:
                st.dataframe(
                    import_view.changes_table(result.changes, fw),
                    hide_index=True,
                    width="stretch",
                    column_order=import_view.PREVIEW_ORDER,
                )
            if verdict.can_commit:
                if not user:
                    st.warning(
                        "Indiquez votre nom en haut de la page pour pouvoir enregistrer.", icon=":material/badge:"
                    )
                if st.button(
                    "Enregistrer la saisie",
                    type="primary",
                    disabled=not user,
                    icon=":material/save:",
                    key="entry_commit",
                ):
                    with ui.user_errors():
                        accounts.check_upload(ctx.user, operator)
                        done = importer.import_file(
                            con,
                            data,
                            name,
                            operator=operator,
                            user=user,
                            db_path=ctx.db_path,
                            framework=fw,
                            review=lands_as,
                            lock_reason=reason,
                        )
                        state.import_done = [
                            web_entry.done_sentence(done),
                            import_view.landed_sentence(lands_as),
                        ]
                        state.import_round += 1
                        del state.entry_preview
                        st.rerun()


def report_template(operator: str | None) -> None:
    """The report template to download, pre-filled for an operator and a period."""
    st.markdown(
        "Le modèle est pré-rempli avec les indicateurs de l'opérateur pour la période, la dernière valeur "
        "déclarée et l'objectif à titre d'information ; les cellules jaunes sont à remplir. Rempli, il "
        "s'importe tel quel ici."
    )
    choices = template_lines.period_choices(fw)
    col_op, col_period = st.columns(2)
    t_operator = col_op.selectbox(
        "Opérateur du modèle",
        allowed or operator_codes,
        index=(allowed or operator_codes).index(operator) if operator else 0,
        format_func=lambda c: f"{c} · {fw.label('operators', c)}",
        key="template_operator",
        persist_state="page",  # kept while another tab is open
        placeholder="Choisissez un opérateur",
    )
    t_period = col_period.selectbox(
        "Période du rapport",
        choices,
        index=len(fw.calendar.semesters) - 1,
        format_func=lambda p: p.label_fr,
        key="template_period",
        persist_state="page",  # kept while another tab is open
        placeholder="Choisissez une période",
    )
    with ui.user_errors():
        st.caption(
            ui.md(ui.cached(template_lines.description, con, fw, t_operator, t_period))
        )  # cached until the data change
        st.download_button(
            "Télécharger le modèle (.xlsx)",
            lambda: templates.build_template(con, fw, t_operator, t_period),
            file_name=templates.file_name(t_operator, t_period),
            mime=XLSX_MIME,
            icon=":material/download:",
            key="template_download",
        )


def upload_history(user: str) -> None:
    """Every upload, its original file, and the undoing of one (the coordination only)."""
    history = importer.list_uploads(con)
    if history.empty:
        st.info("Aucun import pour l'instant.")
    else:
        ui.table(import_view.history_table(history, review.overrides(con)))
        choice = st.selectbox(
            "Import",
            history.index,
            key="history_choice",
            persist_state="page",  # kept while another tab is open
            format_func=lambda i: import_view.upload_choice(import_view.upload_at(history, i)),
            placeholder="Choisissez un import",
        )
        upload = import_view.upload_at(history, choice)
        upload_id = int(upload["id"])
        col_file, col_undo = st.columns(2)
        try:
            accounts.check_download_original(ctx.user, importer.upload_operator(con, upload_id))  # own operators' only
            original = importer.original_file(con, upload_id)
        except accounts.AccessError as exc:
            col_file.caption(ui.md(exc.message))
        else:
            if original:
                col_file.download_button(
                    "Télécharger le fichier d'origine",
                    original[1],
                    file_name=original[0],
                    icon=":material/download:",
                    key=f"original_{upload_id}",
                )
            else:
                col_file.caption("Fichier d'origine non conservé (données de démonstration ou fichier déplacé).")
        if upload["status"] in ("imported", "demo") and not accounts.is_admin(ctx.user):
            col_undo.caption("Seule la coordination (administrateur) peut annuler un import.")
        elif upload["status"] in ("imported", "demo"):
            if col_undo.button("Annuler cet import…", icon=":material/undo:", key="rollback_ask_button"):
                state.rollback_ask = upload_id
            if state.get("rollback_ask") == upload_id:
                with ui.user_errors():
                    plan = importer.rollback_preview(con, upload_id)
                    st.warning(ui.md(import_view.rollback_sentence(upload, plan)), icon=":material/warning:")
                    ui.table(import_view.rollback_table(plan, fw))
                    yes, no = st.columns(2)
                    undo_reason = lock_reason_field("rollback_lock_reason", "l'annulation")
                    if yes.button("Confirmer l'annulation", type="primary", key="rollback_confirm"):
                        accounts.check_admin(ctx.user, "annuler un import")
                        outcome = importer.rollback(con, upload_id, user=user or ctx.user.name, lock_reason=undo_reason)
                        state.pop("rollback_ask", None)
                        state.rollback_done = (
                            f"Import n° {upload_id} ({outcome['file_name']}) annulé : {outcome['restored']} "
                            f"valeur(s) rétablie(s), {outcome['withdrawn']} retirée(s). Les autres pages en "
                            "tiennent déjà compte."
                        )
                        st.rerun()
                    if no.button("Ne rien changer", key="rollback_cancel"):
                        state.pop("rollback_ask", None)
                        st.rerun()
        else:
            col_undo.caption(
                f"Import {import_view.UPLOAD_STATUS_LABELS.get(upload['status'], 'annulé')} le "
                f"{import_view.when_fr(upload['rolled_back_at'])}"
                + (f" par {ui.md(upload['rolled_back_by'])}." if upload["rolled_back_by"] else ".")
            )


def validation() -> None:
    """The partners' submitted uploads; the coordination validates or sends back each one."""
    pending = in_review.pending
    st.markdown(
        "Les imports des partenaires sont **soumis** : ils ne comptent dans les chiffres validés (tableaux de "
        "bord par défaut, dossier du comité, mode réunion, chiffres publics) qu'une fois validés par la "
        "coordination. Un import renvoyé cesse de compter ; le partenaire lit le message ici."
    )
    if not (pending or in_review.returned):
        st.success("Aucun import n'attend de validation.", icon=":material/task_alt:")
    else:
        ui.table(in_review.table)
    if accounts.is_admin(ctx.user) and pending:
        pick = st.selectbox(
            "Import à examiner",
            list(pending),
            key="review_choice",
            persist_state="page",  # kept while another tab is open
            format_func=lambda i: import_view.pending_choice(pending[i]),
            placeholder="Choisissez un import",
        )
        with ui.user_errors():
            st.markdown("**Ce que la validation change** (valeur validée aujourd'hui → valeur soumise)")
            ui.table(
                import_view.validation_table(review.what_validation_changes(con, pick), fw),
                wide="Libellé",
                column_order=import_view.VALIDATION_ORDER,
            )
            review_reason = lock_reason_field("review_lock_reason", "la validation ou le renvoi")
            ok_col, back_col = st.columns(2)
            if ok_col.button(
                f"Valider l'import n° {pick}", type="primary", icon=":material/verified:", key="review_validate"
            ):
                done = review.validate(con, pick, ctx.user, lock_reason=review_reason)
                state.import_done = [
                    f"Import n° {pick} ({done['file_name']}) validé : ses valeurs comptent dans les chiffres validés."
                ]
                st.rerun()
            message = back_col.text_area(
                "Message au partenaire (ce qu'il doit corriger)", key="review_message", persist_state="page"
            )
            if back_col.button(f"Renvoyer l'import n° {pick}", icon=":material/reply:", key="review_send_back"):
                done = review.send_back(con, pick, ctx.user, message, lock_reason=review_reason)
                state.import_done = [
                    f"Import n° {pick} ({done['file_name']}) renvoyé au partenaire : ses valeurs "
                    "ne comptent plus ; il lira votre message sur cette page."
                ]
                st.rerun()
    elif pending:
        st.caption("La coordination (administrateur) valide ou renvoie les imports soumis.")


TABS = [
    "Déposer des rapports",
    "Saisir en ligne",
    "Modèle de rapport à remplir",
    "Historique et annulation",
    "Validation",
]
# The tab in the address (« ?onglet=Validation »); only the open one does its work.
tab_import, tab_entry, tab_template, tab_history, tab_review = st.tabs(TABS, key="onglet", bind="query-params")
with tab_import:
    drop_reports(operator, user, reason, bool(tab_import.open))
with tab_entry:
    enter_online(operator, user, reason, bool(tab_entry.open))
if tab_template.open:
    with tab_template:
        report_template(operator)
if tab_history.open:
    with tab_history:
        upload_history(user)
if tab_review.open:
    with tab_review:
        validation()
