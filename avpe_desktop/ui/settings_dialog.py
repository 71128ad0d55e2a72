"""Settings: engine, Google credentials, models, limits, render defaults, workspace.

Keys and connection strings go to the OS keyring the moment they are saved and are only ever
shown masked; the settings file holds everything else and can be shared safely.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.config import EngineChoice, GoogleMode, Settings
from avpe_desktop.domain import AspectRatio, RenderSettings, Resolution
from avpe_desktop.engines.google import GoogleModels
from avpe_desktop.engines.registry import (
    create_engine,
    missing_google_credentials,
    resolve_choice,
)
from avpe_desktop.secrets import (
    SecretName,
    SecretsUnavailableError,
    delete_secret,
    get_secret,
    mask,
    set_secret,
)
from avpe_desktop.ui.errors import readable, report
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.services import Services

ENGINE_NAMES = {
    EngineChoice.AUTO: "Automatic (Google when configured, else offline)",
    EngineChoice.LOCAL: "Offline engine (free, drafts)",
    EngineChoice.GOOGLE: "Google (Gemini, Imagen, Veo)",
}
MODE_NAMES = {
    GoogleMode.VERTEX_EXPRESS: "Vertex AI express mode (API key)",
    GoogleMode.VERTEX: "Vertex AI (project + location)",
    GoogleMode.DEVELOPER: "AI Studio key (no video)",
}
SECRET_LABELS = {
    SecretName.GOOGLE_API_KEY: "Google API key",
    SecretName.MONGODB_URI: "MongoDB URI",
    SecretName.CLOUDINARY_CLOUD_NAME: "Cloudinary cloud name",
    SecretName.CLOUDINARY_API_KEY: "Cloudinary API key",
    SecretName.CLOUDINARY_API_SECRET: "Cloudinary API secret",
}
MODEL_ROLES = {"text": "Script model", "image": "Keyframe model", "video": "Video model"}


class SecretField(QWidget):
    """Empty means "keep what is stored"; Clear marks the stored value for deletion."""

    def __init__(self, name: SecretName, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.clear_button = QToolButton()
        self.clear_button.setIcon(icon("delete"))
        self.clear_button.setToolTip("Remove the stored value")
        self.clear_button.clicked.connect(self._clear)
        self.cleared = False
        self._stored = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.clear_button)
        self.show_stored()

    def show_stored(self) -> None:
        self.cleared = False
        self.edit.clear()
        try:
            stored = get_secret(self.name)
        except SecretsUnavailableError as exc:
            self.edit.setPlaceholderText(str(exc))
            self.setEnabled(False)
            return
        self._stored = bool(stored)
        self.edit.setPlaceholderText(
            f"Saved: {mask(stored)} — type to replace" if stored else "Not set"
        )
        self.clear_button.setEnabled(bool(stored))

    @property
    def will_be_set(self) -> bool:
        """Whether saving now leaves a value stored: one typed, or the stored one kept."""
        return bool(self.edit.text().strip()) or (self._stored and not self.cleared)

    def save(self) -> None:
        typed = self.edit.text().strip()
        if typed:
            set_secret(self.name, typed)
        elif self.cleared:
            delete_secret(self.name)
        self.show_stored()

    def _clear(self) -> None:
        self.cleared = True
        self.edit.clear()
        self.edit.setPlaceholderText("Will be removed when you save")


class SettingsDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(620)
        self._services = services
        settings = services.ctx.settings

        self.engine_combo = QComboBox()
        for choice, name in ENGINE_NAMES.items():
            self.engine_combo.addItem(name, choice.value)
        self.engine_combo.setCurrentIndex(self.engine_combo.findData(settings.engine.value))
        self.mode_combo = QComboBox()
        for mode, name in MODE_NAMES.items():
            self.mode_combo.addItem(name, mode.value)
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(settings.google_mode.value))
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.project_edit = QLineEdit(settings.google_project)
        self.project_edit.setPlaceholderText("my-cloud-project")
        self.location_edit = QLineEdit(settings.google_location)
        self.secret_fields = {name: SecretField(name) for name in SECRET_LABELS}

        self.test_button = QPushButton("Save and test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setObjectName("hint")

        self.credentials_note = QLabel()
        self.credentials_note.setWordWrap(True)

        engine_form = QFormLayout()
        engine_form.addRow("Engine", self.engine_combo)
        engine_form.addRow("", self.credentials_note)
        engine_form.addRow("Google access", self.mode_combo)
        engine_form.addRow(
            SECRET_LABELS[SecretName.GOOGLE_API_KEY], self.secret_fields[SecretName.GOOGLE_API_KEY]
        )
        engine_form.addRow("Cloud project", self.project_edit)
        engine_form.addRow("Location", self.location_edit)
        engine_form.addRow("", self.test_button)
        engine_form.addRow("", self.test_result)

        defaults = GoogleModels()
        self.model_edits: dict[str, QLineEdit] = {}
        models_form = QFormLayout()
        for role, label in MODEL_ROLES.items():
            edit = QLineEdit(settings.models.get(role, ""))
            edit.setPlaceholderText(f"default: {getattr(defaults, role)}")
            self.model_edits[role] = edit
            models_form.addRow(label, edit)
        self.rpm_spin = QSpinBox()
        self.rpm_spin.setRange(1, 10_000)
        self.rpm_spin.setValue(settings.requests_per_minute)
        self.rpm_spin.setSuffix(" per minute")
        self.in_flight_spin = QSpinBox()
        self.in_flight_spin.setRange(1, 32)
        self.in_flight_spin.setValue(settings.videos_in_flight)
        models_form.addRow("Requests", self.rpm_spin)
        models_form.addRow("Videos at once", self.in_flight_spin)
        hint = QLabel("Model ids change often; leave a field empty to use the default.")
        hint.setObjectName("hint")
        models_form.addRow("", hint)

        render = settings.render
        self.resolution_combo = QComboBox()
        self.resolution_combo.addItems([r.value for r in Resolution])
        self.resolution_combo.setCurrentText(render.resolution.value)
        self.aspect_combo = QComboBox()
        self.aspect_combo.addItems([a.value for a in AspectRatio])
        self.aspect_combo.setCurrentText(render.aspect_ratio.value)
        self.duration_combo = QComboBox()
        self.duration_combo.addItems(["4", "6", "8"])
        self.duration_combo.setCurrentText(str(render.duration))
        self.audio_check = QCheckBox("Generate sound")
        self.audio_check.setChecked(render.generate_audio)
        render_form = QFormLayout()
        render_form.addRow("Resolution", self.resolution_combo)
        render_form.addRow("Aspect ratio", self.aspect_combo)
        render_form.addRow("Seconds per segment", self.duration_combo)
        render_form.addRow("Audio", self.audio_check)

        self.workspace_edit = QLineEdit(settings.workspace)
        self.workspace_edit.setPlaceholderText(str(services.ctx.dirs.default_workspace))
        browse = QPushButton(icon("folder"), "Browse…")
        browse.clicked.connect(self._browse_workspace)
        workspace_row = QHBoxLayout()
        workspace_row.addWidget(self.workspace_edit, 1)
        workspace_row.addWidget(browse)
        storage_form = QFormLayout()
        storage_form.addRow("Workspace", workspace_row)
        for name in (
            SecretName.MONGODB_URI,
            SecretName.CLOUDINARY_CLOUD_NAME,
            SecretName.CLOUDINARY_API_KEY,
            SecretName.CLOUDINARY_API_SECRET,
        ):
            storage_form.addRow(SECRET_LABELS[name], self.secret_fields[name])
        keyring_hint = QLabel(
            "Keys and the MongoDB URI are kept in the system keyring, never in the settings file."
        )
        keyring_hint.setObjectName("hint")
        keyring_hint.setWordWrap(True)
        storage_form.addRow("", keyring_hint)

        self.tabs = QTabWidget()
        for title, form in (
            ("Engine", engine_form),
            ("Models and limits", models_form),
            ("Render", render_form),
            ("Storage", storage_form),
        ):
            page = QWidget()
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setContentsMargins(16, 16, 16, 16)
            form.setVerticalSpacing(10)
            page.setLayout(form)
            self.tabs.addTab(page, title)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self._mode_changed()
        key_field = self.secret_fields[SecretName.GOOGLE_API_KEY]
        for signal in (
            self.engine_combo.currentIndexChanged,
            self.mode_combo.currentIndexChanged,
            self.project_edit.textChanged,
            key_field.edit.textChanged,
            key_field.clear_button.clicked,
        ):
            signal.connect(self._check_credentials)
        self._check_credentials()

    def form_settings(self) -> Settings:
        """The settings as the form shows them; raises ValidationError for bad values."""
        current = self._services.ctx.settings
        render = RenderSettings.model_validate(
            {
                **current.render.model_dump(),
                "resolution": self.resolution_combo.currentText(),
                "aspect_ratio": self.aspect_combo.currentText(),
                "duration": int(self.duration_combo.currentText()),
                "generate_audio": self.audio_check.isChecked(),
            }
        )
        return Settings.model_validate(
            {
                **current.model_dump(),
                "engine": self.engine_combo.currentData(),
                "google_mode": self.mode_combo.currentData(),
                "google_project": self.project_edit.text().strip(),
                "google_location": self.location_edit.text().strip() or "us-central1",
                "models": {
                    r: e.text().strip() for r, e in self.model_edits.items() if e.text().strip()
                },
                "requests_per_minute": self.rpm_spin.value(),
                "videos_in_flight": self.in_flight_spin.value(),
                "workspace": self.workspace_edit.text().strip(),
                "render": render.model_dump(),
            }
        )

    def save(self) -> None:
        settings = self.form_settings()
        for field in self.secret_fields.values():
            field.save()
        ctx = self._services.ctx
        ctx.settings = settings
        ctx.save_settings()
        self._services.settings_changed()

    def accept(self) -> None:
        try:
            self.save()
        except ValueError as exc:
            self._show_result(readable(exc), ok=False)
            return
        super().accept()

    def test_connection(self) -> None:
        """Creating the engine checks what can be checked without spending anything."""
        try:
            self.save()
            settings = self._services.ctx.settings
            choice = resolve_choice(settings)
            create_engine(settings)
        except Exception as exc:
            report(exc, lambda message: self._show_result(message, ok=False))
            return
        if choice is EngineChoice.LOCAL:
            self._show_result("The offline engine is ready.", ok=True)
        else:
            self._show_result("The Google engine was set up with these credentials.", ok=True)

    def _show_result(self, text: str, ok: bool) -> None:
        self.test_result.setStyleSheet(f"color: {'#3ecf8e' if ok else '#ff8a8a'};")
        self.test_result.setText(text)

    def _check_credentials(self) -> None:
        """Says at once what the chosen engine lacks, instead of letting Render find out."""
        choice = EngineChoice(self.engine_combo.currentData())
        has_key = self.secret_fields[SecretName.GOOGLE_API_KEY].will_be_set
        project = self.project_edit.text()
        warning = True
        if choice is EngineChoice.LOCAL:
            note = None
        elif choice is EngineChoice.AUTO and not (has_key or project.strip()):
            note = "No Google credentials yet, so Automatic renders with the offline engine."
            warning = False
        else:
            mode = GoogleMode(self.mode_combo.currentData())
            note = missing_google_credentials(mode, has_key, project)
        self.credentials_note.setStyleSheet("color: #ff8a8a;" if warning else "")
        self.credentials_note.setText(note or "")
        self.credentials_note.setVisible(note is not None)

    def _mode_changed(self) -> None:
        vertex = self.mode_combo.currentData() == GoogleMode.VERTEX.value
        self.project_edit.setEnabled(vertex)
        self.location_edit.setEnabled(vertex)

    def _browse_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self,
            "Workspace folder",
            self.workspace_edit.text() or str(self._services.ctx.dirs.default_workspace),
        )
        if folder:
            self.workspace_edit.setText(folder)
