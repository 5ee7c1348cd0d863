// The shot's other versions: the menu, the banner when a newer take exists (also one
// uploaded while this one is being reviewed), and opening another take at the same moment.

import { getAll } from "./api.js";
import { renderNewerVersion, renderVersionSelect } from "./details.js";
import { versionUrl } from "./links.js";

const POLL_MS = 15000;

export class ShotVersions {
  // moment() is where the player is, as link parameters ({t: seconds}, or {} at the start).
  constructor({ shotId, versions, current, moment }) {
    this.shotId = shotId;
    this.versions = versions;
    this.current = current;
    this.moment = moment;
    this.open = (id) => window.location.assign(versionUrl(id, this.moment()));
    this.show(current);
  }

  show(current = this.current) {
    this.current = current;
    this.versions = this.versions.map((version) => (version.id === current.id ? current : version));
    renderVersionSelect(this.versions, current, this.open);
    renderNewerVersion(this.versions, current, this.open);
  }

  async refresh() {
    this.versions = await getAll(`shots/${this.shotId}/versions/`);
    this.show(this.versions.find((version) => version.id === this.current.id) ?? this.current);
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
