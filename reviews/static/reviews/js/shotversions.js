// The shot's other versions: the menu, the banner when a newer take exists (also one
// uploaded while this one is being reviewed), and opening another take at the same moment.

import { getAll } from "./api.js";
import { renderNewerVersion, renderVersionSelect } from "./details.js";
import { versionUrl } from "./links.js";
import { reportError, toast } from "./dom.js";
import { DECISION_LABELS, TakeMenu } from "./takes.js";

const takeState = (version) => JSON.stringify([version.decision, (version.recommended_by ?? []).map((user) => user.id)]);

const POLL_MS = 15000;

export class ShotVersions {
  // moment() is where the player is, as link parameters ({t: seconds}, or {} at the start).
  // onCurrentDecision(version) hears that this take's decision or recommendations changed, made
  // from the takes menu or as a side effect of selecting another take (docs/takes.md).
  constructor({ shotId, versions, current, moment, onCurrentDecision = () => {} }) {
    this.shotId = shotId;
    this.versions = versions;
    this.current = current;
    this.moment = moment;
    this.open = (id) => window.location.assign(versionUrl(id, this.moment()));
    this.onCurrentDecision = onCurrentDecision;
    // A guest's page has no takes menu (the takes and their decisions are the studio's).
    const decided = (version) => {
      toast(`v${version.number}: ${DECISION_LABELS[version.decision].toLowerCase()}`);
      this.refresh().catch(reportError);
    };
    this.takes = document.getElementById("takes-button") ? new TakeMenu({ onOpen: this.open, onDecided: decided }) : null;
    this.show(current);
  }

  show(current = this.current) {
    this.current = current;
    this.versions = this.versions.map((version) => (version.id === current.id ? current : version));
    renderVersionSelect(this.versions, current, this.open);
    renderNewerVersion(this.versions, current, this.open);
    this.takes?.render(this.versions, current);
  }

  // Selecting a take changes another take's decision too: read them all again (also on the
  // live stream's version.created and any take's version.decision_changed, and by polling).
  async refresh() {
    // Several may be in flight (a decision, the live stream, the poll): only the last one asked
    // is shown, or an older answer arriving late would put back a decision that has changed.
    const asked = (this.asked = (this.asked ?? 0) + 1);
    const versions = await getAll(`shots/${this.shotId}/versions/`);
    if (asked !== this.asked) return;
    this.versions = versions;
    const fresh = this.versions.find((version) => version.id === this.current.id) ?? this.current;
    const changed = takeState(fresh) !== takeState(this.current);
    this.show(fresh);
    if (changed) this.onCurrentDecision(fresh);
  }

  // Polls for newer versions; skipped while isLive() (the live stream announces them).
  watch(isLive = () => false) {
    setInterval(async () => {
      if (document.hidden || isLive()) return;
      try {
        await this.refresh();
      } catch (error) {
        console.warn("Could not look for newer versions", error);
      }
    }, POLL_MS);
  }
}
