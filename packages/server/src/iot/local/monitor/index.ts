/** The emulator's monitor interface: a cloud-side observer of gateways (the live checker's). */
export { registerMonitor } from './monitor-credentials.js';
export {
  MONITOR_TOPIC_ROOT,
  monitorCaptureTopic,
  monitorDisconnectTopic,
  parseMonitorDisconnectTopic,
} from './monitor-topics.js';
