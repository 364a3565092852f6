import { useProjectBroker } from './broker-project-setup.js';

useProjectBroker('artemis');
