"""Suivi des rapports: who reported what and when, committee snapshots, and the committee pack."""

import datetime as dt

import streamlit as st

from ardenne_kpi import reporting, ui
from ardenne_kpi.committee import briefing, pack, snapshots
from ardenne_kpi.core import accounts
from ardenne_kpi.intake import review
from ardenne_kpi.reporting import reminders

ctx = ui.page_setup("Suivi des rapports", icon=":material/fact_check:")
fw = ctx.fw
today = dt.date.today()

st.title("Suivi des rapports")
st.caption(
    f"Rapports attendus : les obligations de chaque opérateur (indicateurs, granularité, à partir de quelle "
    f"période ; voir le référentiel) × leurs périodes échues. "
    f"Reçu : une valeur retenue a été déposée. Délai de remise : {reporting.deadline_text(fw)}."
)

TABS = ["Rapports reçus", "Instantanés de comité", "Dossier du comité"]
tab_matrix, tab_snapshots, tab_pack = st.tabs(TABS, key="onglet", bind="query-params")  # « ?onglet=… »

with tab_matrix:
    if tab_matrix.open:
        items = ui.cached(reporting.report_items, ctx.con, fw, None, today)
        data_end, _ = ui.shared(ctx.con, ("latest data",), lambda: reporting.latest_data(ctx.con))
        semesters = reporting.semester_choices(fw, today)
        current = reporting.last_closed_semester(fw, data_end)
        if items.empty:
            st.info("Le référentiel n'attend encore aucun rapport (aucune période échue).")
        else:
            codes = [p.code for p in semesters]
            code = ui.in_address(
                st.selectbox,
                "Semestre du programme",
                codes,
                key="suivi_semester",
                param="semestre",
                default=current.code if current.code in codes else codes[-1],
                format_func=lambda c: semesters[codes.index(c)].label_fr,
                placeholder="Choisissez un semestre",
            )
            choice = semesters[codes.index(code)]
            locked = ui.shared(ctx.con, ("lock", choice.code), lambda: review.lock_of(ctx.con, choice.code))
            lock_col, lock_button = st.columns([3, 1])
            if locked:
                lock_col.info(
                    f"**{choice.label_fr} est verrouillé** depuis {locked.when()} : les chiffres de ce semestre "
                    "sont arrêtés ; un partenaire ne peut plus les modifier.",
                    icon=":material/lock:",
                )
            if accounts.is_admin(ctx.user):
                with ui.user_errors():
                    if locked and lock_button.button("Déverrouiller", icon=":material/lock_open:", key="suivi_unlock"):
                        review.unlock(ctx.con, choice.code, ctx.user)
                        st.rerun()
                    if not locked and lock_button.button(
                        f"Verrouiller {choice.code}",
                        icon=":material/lock:",
                        key="suivi_lock",
                        help="Arrête les chiffres du semestre pour le comité : les "
                        "fichiers des partenaires qui les modifieraient sont "
                        "refusés ; un import de la coordination demande un motif.",
                    ):
                        review.lock(ctx.con, fw, choice.code, ctx.user)
                        st.rerun()
            forced = ui.shared(  # imports, validations and locks all change the data revision
                ctx.con,
                ("overrides", choice.code),
                lambda: review.overrides(ctx.con, choice.code),
            )
            if not forced.empty:
                st.markdown(
                    f"**Chiffres de {choice.code} modifiés après verrouillage**, avec le motif de la coordination"
                )
                ui.table(review.overrides_table(forced), wide="Motif")
            summary = ui.shared(
                ctx.con,
                ("follow-up summary", choice.code, today),
                lambda: reporting.summarise(reporting.items_within(items, choice), fw),
            )
            total = reporting.totals(summary)
            expected, received = total.expected, total.received
            c1, c2, c3, c4 = st.columns(4)
            c1.metric(
                "Rapports reçus",
                ui.fmt_percent(received / expected if expected else None),
                help=f"{received} reçus sur {expected} attendus pour {choice.label_fr}.",
            )
            c2.metric("Reçus en retard", total.late)
            c3.metric("Manquants, délai dépassé", total.overdue)
            c4.metric("En attente (délai en cours)", total.pending)
            if received == 0:
                st.warning(
                    "Aucun rapport reçu pour ce semestre. Importez les rapports des partenaires depuis la page "
                    "« Importer un rapport »."
                )
            st.subheader("Complétude par opérateur")
            ui.table(
                ui.shared(ctx.con, ("completeness", choice.code, today), lambda: reporting.completeness_table(summary))
            )

            st.subheader("Relances")
            if not accounts.is_admin(ctx.user):
                st.caption("La coordination (administrateur) prépare et envoie les relances.")
            else:
                st.caption(
                    f"Une relance par opérateur dont des valeurs de {choice.label_fr} manquent après le délai : "
                    "ce qui est attendu, depuis quand, le lien vers l'application et son modèle pré-rempli en "
                    "pièce jointe."
                )
                closed = reminders.locked_sentence(fw, choice, ui.locks(ctx.con))
                ui.local_links_warning()
                if closed:
                    st.info(closed, icon=":material/lock:")
                elif st.button("Préparer les relances", icon=":material/forward_to_inbox:"):
                    with st.spinner("Préparation des relances et de leurs modèles…"), ui.user_errors():
                        skipped = st.session_state["reminders_skipped"] = []
                        st.session_state["reminders"] = (
                            choice.code,
                            reminders.build(ctx.con, fw, items, choice, skipped=skipped),
                        )
                prepared = st.session_state.get("reminders", (None, []))
                if prepared[0] == choice.code and not closed:
                    for sentence in st.session_state.get("reminders_skipped", []):
                        st.warning(ui.md(sentence), icon=":material/warning:")
                    if not prepared[1]:
                        st.success(f"Aucune valeur de {choice.label_fr} ne manque après son délai : pas de relance.")
                    else:
                        st.dataframe(reminders.summary_table(prepared[1], fw), hide_index=True, width="stretch")
                        if not all(r.recipient for r in prepared[1]):
                            st.caption(
                                f"« {reminders.MISSING_ADDRESS} » : l'opérateur n'a pas d'adresse dans le "
                                "référentiel (feuille Opérateurs, colonne « courriel ») ; écrivez-la dans votre "
                                "messagerie, ou ajoutez-la au référentiel."
                            )
                        st.download_button(
                            f"Télécharger les {len(prepared[1])} relances (.eml, à ouvrir dans la messagerie)",
                            reminders.zip_bytes(prepared[1]),
                            file_name=f"relances_{choice.code}.zip",
                            mime="application/zip",
                            icon=":material/download:",
                        )
                        with ui.user_errors():
                            settings = reminders.SmtpSettings.from_env()
                            if settings is None:
                                st.caption(
                                    "Pour les envoyer depuis cette page, configurez le serveur de courrier "
                                    "(ARDENNE_SMTP_HOST…, voir le README)."
                                )
                            elif st.button(
                                f"Envoyer les relances par {settings.host}", type="primary", icon=":material/send:"
                            ):
                                outcomes = reminders.send(ctx.con, prepared[1], settings, ctx.user.name)
                                st.dataframe(
                                    {
                                        "Opérateur": [fw.label("operators", o) for o, _ in outcomes],
                                        "Résultat": [r for _, r in outcomes],
                                    },
                                    hide_index=True,
                                    width="stretch",
                                )
                sent = ui.unless_file_changed(  # read again once a commit lands (a reminder sent)
                    ctx.con, "reminders sent", lambda: reminders.history_table(ctx.con, fw)
                )
                if not sent.empty:
                    with st.expander(f"Relances envoyées ({len(sent)})"):
                        st.dataframe(sent, hide_index=True, width="stretch")

            st.subheader("Opérateurs × semestres")
            st.caption(
                "✔ reçu · ◐ partiel · ✘ manquant (délai dépassé) · … attendu, délai en cours ; "
                "« nR » : n rapports reçus après le délai."
            )
            text, state = ui.cached(reporting.follow_up_grid, ctx.con, fw, today)  # cached until the data change
            # Every operator and whole cells on a projector: the height from the rows, wide columns.
            st.dataframe(
                ui.shared(ctx.con, ("follow-up grid", today), lambda: reporting.matrix_style(text, state)),
                width="stretch",
                height=ui.table_height(len(text)),
                row_height=ui.ROW_PX,
                column_config={c: st.column_config.TextColumn(width=92) for c in text.columns},
                column_order=list(
                    reversed(text.columns)
                ),  # the latest semesters first: those the committee meets about
            )

            st.subheader("Indicateurs jamais déclarés")
            never = ui.cached(reporting.never_reported, ctx.con, fw, today)
            if never.empty:
                st.success("Chaque opérateur a déclaré au moins une fois chacun de ses indicateurs.")
            for operator_label, table in reporting.never_reported_by_operator(never):
                with st.expander(f"{ui.md(operator_label)} : {len(table)} indicateur(s) jamais déclaré(s)"):
                    st.dataframe(table, hide_index=True, width="stretch")

with tab_snapshots:
    if tab_snapshots.open:  # a hidden tab does no work: the listing and the comparison read the data
        st.markdown(
            "Un **instantané** fige les données telles qu'elles étaient à la date d'un comité (valeurs, statuts "
            "des indicateurs, couverture du plan), pour montrer au comité suivant ce qui a changé."
        )
        listing = snapshots.all_snapshots(ctx.con)
        if listing.empty:
            st.info("Aucun instantané pour l'instant. Créez-en un à chaque comité.")
        else:
            ui.table(snapshots.snapshots_table(listing))

        if accounts.is_admin(ctx.user):
            with st.form("snapshot_create", clear_on_submit=True):
                st.markdown("**Créer un instantané**")
                n1, n2 = st.columns([2, 1])
                name = n1.text_input("Nom", placeholder="Comité de pilotage du 12/05/2022")
                day = n2.date_input("Date du comité", value=today, max_value=today, format="DD/MM/YYYY")
                if st.form_submit_button("Figer les données à cette date", icon=":material/photo_camera:"):
                    with ui.user_errors():
                        snapshot_id = snapshots.create(ctx.con, fw, name, day, ctx.user.name)
                        st.success(f"Instantané « {ui.md(name.strip())} » créé (n° {snapshot_id}).")
                        st.rerun()

        st.subheader("Comparer deux états")
        live = "Données actuelles"
        options = [live, *snapshots.snapshot_names(listing)]
        k1, k2 = st.columns(2)
        # The states are named as they show: the address holds the name (« ?avant=Comité de juin »).
        before = k1.selectbox(
            "Avant", options, index=len(options) - 1, key="avant", bind="query-params", placeholder="Choisissez un état"
        )
        after = k2.selectbox("Après", options, key="apres", bind="query-params", placeholder="Choisissez un état")
        if before == after:
            st.info("Choisissez deux états différents.")
        else:

            def state(name: str) -> snapshots.State:
                return snapshots.live_state(ctx.con, fw) if name == live else snapshots.load(ctx.con, name)

            with ui.user_errors():
                cmp = snapshots.compare(ctx.con, fw, state(before), state(after))
                st.markdown(f"**{ui.md(snapshots.summary_text(cmp))}**")
                s = cmp.summary
                t1, t2, t3, t4 = st.tabs(
                    [
                        f"Statuts ({s['statuses']})",
                        f"Couverture ({s['cells']})",
                        f"Nouveaux rapports ({s['uploads']})",
                        f"Valeurs ({s['new'] + s['changed'] + s['withdrawn']})",
                    ]
                )
                ui.table(snapshots.statuses_table(cmp), container=t1)
                ui.table(snapshots.cells_table(cmp), container=t2)
                ui.table(snapshots.uploads_table(cmp, fw), container=t3)
                ui.table(snapshots.values_table(cmp, fw), container=t4)

with tab_pack:
    if tab_pack.open:
        listing = snapshots.all_snapshots(ctx.con)
        st.markdown(
            "Le **dossier du comité** se lit sans l'application : couverture, chiffres clés, carte de la "
            "couverture, statut des indicateurs par dimension, changements depuis le dernier instantané, "
            "complétude par opérateur, qualité des données et, en annexe, les rapports à l'origine des chiffres. "
            "Le classeur .xlsx reprend les mêmes tableaux."
        )
        ui.local_links_warning()
        names = snapshots.snapshot_names(listing)
        since = st.selectbox(
            "Comparer avec l'instantané",
            names[::-1] or ["(aucun instantané)"],
            disabled=not names,
            placeholder="Aucun instantané enregistré",
        )
        if st.button("Préparer le dossier du comité", type="primary", icon=":material/picture_as_pdf:"):
            with st.spinner("Mise en page du dossier…"), ui.user_errors():
                data = briefing.collect(ctx.con, fw, since=since if names else None)
                st.session_state["pack_files"] = (briefing.file_stem(data), pack.pdf_bytes(data), pack.xlsx_bytes(data))
        if "pack_files" in st.session_state:
            stem, pdf, xlsx = st.session_state["pack_files"]
            d1, d2 = st.columns(2)
            d1.download_button(
                "Télécharger le dossier (.pdf)",
                pdf,
                file_name=f"{stem}.pdf",
                mime="application/pdf",
                icon=":material/download:",
            )
            d2.download_button(
                "Télécharger les tableaux (.xlsx)",
                xlsx,
                file_name=f"{stem}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                icon=":material/table:",
            )
