export { UserAgent, CallPlan, type UaHost, type Credentials, type Registrar, type RunOptions, type Plan } from './user-agent.js';
export { RunningUa } from './running.js';
export { type CallOptions, type CallStep, type HoldDirection } from './call.js';
export { type AnswerOptions } from './answer.js';
export { type ContactSpec, type RegisterStep } from './register.js';
export { type SubscribeOptions, type PublishOptions } from './requests.js';
export { answerTo, directionOf, sdpLines, FIRST_VERSION, CODECS, type Codec, type Direction, type SdpSpec } from './sdp.js';
export { timing, type Refresher, type TimerOffer } from './session-timer.js';
export { receivedMessages } from './received.js';
