/** The Machine controller's renderer: bootstrap's renderCloudInit, which takes the controller's input as it is. */
import { renderCloudInit } from '../../bootstrap/index.js';
import type { CloudInitRenderer } from './bootstrap-data.js';

/** The renderer the daemon gives the Machine controller. */
export const renderMachineCloudInit: CloudInitRenderer = renderCloudInit;
