// Starts the GOV.UK Frontend components (served from the npm package govuk-frontend under /assets).
import { initAll } from "../govuk-frontend.min.js";

initAll();
